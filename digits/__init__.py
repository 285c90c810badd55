"""The digit reader's core: no UI, no command line, nothing runs at import.

Layers, each importing only from those before it:

    settings, images      environment variables; image files opened safely
    reading               image -> ink -> 28x28 -> digits: preprocessing, segmenting, the reader
    learning              data sets, drawing them as the sketchpad does, models, training, scores
    storage               model files, the Hub, finding a model (cache -> Hub -> train), corrections
"""

IMAGE_SIZE = 28  # the model reads 28x28 images, as MNIST's are
NUM_CLASSES = 10  # the digits 0-9
