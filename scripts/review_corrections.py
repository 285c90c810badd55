"""Review the drawings people saved with "Wrong? Tell it the right answer", before any is trained on.

    python scripts/review_corrections.py                      # list those waiting, and draw them
    python scripts/review_corrections.py accept 3fa1c2d0 ...  # accept some (ids from the list)
    python scripts/review_corrections.py reject 77b09e1a ...  # or reject them

The list also writes a picture of every drawing waiting, each with its id and the answer typed
(``pending.png`` in the folder), to look at before deciding. ``train.py --extra-data FOLDER``
trains only on accepted drawings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.settings import Settings  # noqa: E402
from digits.storage.corrections import Record, records, review  # noqa: E402

TILE = 160


def short_id(record: Record) -> str:
    return Path(record.image).stem[:8]


def contact_sheet(folder: Path, waiting: list[Record], path: Path) -> None:
    """Each drawing black on white, with its id and the answer typed under it."""
    columns = 6
    rows = -(-len(waiting) // columns)
    sheet = Image.new("L", (columns * TILE, rows * (TILE + 20)), 255)
    draw = ImageDraw.Draw(sheet)
    for index, record in enumerate(waiting):
        with Image.open(folder / record.image) as image:
            tile = ImageOps.contain(ImageOps.invert(image.convert("L")), (TILE - 8, TILE - 8))
        x, y = (index % columns) * TILE, (index // columns) * (TILE + 20)
        sheet.paste(tile, (x + 4, y + 4))
        draw.text((x + 4, y + TILE), f"{short_id(record)}: {record.label} (read {record.predicted or '-'})", fill=0)
    sheet.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", choices=["list", "accept", "reject"], default="list", help="what to do")
    parser.add_argument("ids", nargs="*", help="the drawings to accept or reject (ids from the list)")
    parser.add_argument(
        "--folder", type=Path, default=Settings.from_env().corrections_dir,
        help="the corrections folder (default: $DIGITS_CORRECTIONS_DIR, else corrections/)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    saved = records(args.folder)
    if args.action == "list":
        waiting = [record for record in saved if record.verdict is None]
        counts = {verdict: sum(r.verdict == verdict for r in saved) for verdict in ("accepted", "rejected")}
        print(f"{len(waiting)} waiting, {counts['accepted']} accepted, {counts['rejected']} rejected")
        for record in waiting:
            print(f"  {short_id(record)}  typed {record.label:<12} read {record.predicted or '-'}")
        if waiting:
            contact_sheet(args.folder, waiting, args.folder / "pending.png")
            print(f"their drawings: {args.folder / 'pending.png'}")
        return 0
    by_id = {short_id(record): record for record in saved}
    unknown = [given for given in args.ids if given not in by_id]
    if unknown or not args.ids:
        print(f"error: no saved drawing with id {', '.join(unknown) or '(none given)'}", file=sys.stderr)
        return 2
    for given in args.ids:
        review(args.folder, by_id[given].image, "accepted" if args.action == "accept" else "rejected")
    print(f"{args.action}ed {len(args.ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
