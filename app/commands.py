"""Command line tools: `flask --app app analyze PHOTO...`."""
import json
from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("analyze")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    def analyze(paths):
        """Print the faces and emotions found in image files as JSON (nothing is stored)."""
        from app.analysis.engine import get_analyzer
        from app.vision import InvalidImage, decode_image

        analyzer = get_analyzer()
        for path in paths:
            try:
                image = decode_image(Path(path).read_bytes(), max_pixels=app.config["MAX_IMAGE_PIXELS"])
            except InvalidImage as error:
                click.echo(json.dumps({"file": path, "error": str(error)}))
                continue
            faces = [face.to_dict() for face in analyzer.analyze(image)]
            click.echo(json.dumps({"file": path, "faces": faces}))
