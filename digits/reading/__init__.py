"""Image -> ink -> 28x28 -> digits: preprocessing, segmenting, the model call, the reader."""
