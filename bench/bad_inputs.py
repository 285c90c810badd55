"""What each awkward input gets from both endpoints, as a table (the app runs on 127.0.0.1).

python bench/bad_inputs.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent  # before digits can be imported
sys.path[:0] = [str(PROJECT_DIR / "tests"), str(PROJECT_DIR)]  # tests/bad_inputs.py, not this file
from bad_inputs import CORPUS, classify  # noqa: E402
from http_api import start_server  # noqa: E402


def main() -> None:
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    port = 7890
    server = start_server("app.py", port)
    try:
        client = Client(f"http://127.0.0.1:{port}", verbose=False)
        print("| input | expected | /predict | /predict_image |\n|---|---|---|---|")
        with tempfile.TemporaryDirectory() as folder:
            for name, (build, expected) in CORPUS.items():
                cells = []
                for api_name in ("/predict", "/predict_image"):
                    file = None
                    if build is not None:
                        path = Path(folder) / "input.png"
                        path.write_bytes(build())
                        file = handle_file(str(path))
                    value = {"background": None, "layers": [], "composite": file} if api_name == "/predict" else file
                    try:
                        result, error = client.predict(value, api_name=api_name), None
                    except AppError as exception:
                        result, error = None, str(exception)
                    kind = classify(result, error)
                    detail = error if error else (result["label"] if kind == "prompt" else "")
                    cells.append(f"{kind}: {detail}" if detail else kind)
                print(f"| {name} | {expected} | {cells[0]} | {cells[1]} |")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
