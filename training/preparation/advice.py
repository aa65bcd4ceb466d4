"""The next steps printed after preparing: the commands that train on the written files.

Imports only ``training.preparation``.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from training.preparation.findings import PreparedData


def next_steps(
    prepared: PreparedData, train_path: Path, valid_path: Path | None, epochs: int
) -> list[str]:
    """The commands that train on the written files: ours, and the OpenAI job call.

    Both must run exactly as printed: ours is a POSIX shell line (paths quoted for the
    shell; the epochs go in SPORTBOT_EPOCHS, as ``train`` reads them, so a copied line
    trains with the epochs the cost estimate assumed), the other a line of Python.
    """
    valid = f" --valid {shlex.quote(str(valid_path))}" if valid_path else ""
    ours = (
        f"SPORTBOT_EPOCHS={epochs} sportbot train --backend openai --model "
        f"{shlex.quote(prepared.model)} --train {shlex.quote(str(train_path))}{valid}"
    )
    valid_arg = ", validation_file=valid.id" if valid_path else ""
    upload_valid = (
        f'valid = client.files.create(file=open({str(valid_path)!r}, "rb"), purpose="fine-tune"); '
        if valid_path
        else ""
    )
    openai_call = (
        f'train = client.files.create(file=open({str(train_path)!r}, "rb"), purpose="fine-tune"); '
        f"{upload_valid}"
        f"client.fine_tuning.jobs.create(model={prepared.model!r}, training_file=train.id"
        f'{valid_arg}, method={{"type": "supervised", "supervised": '
        f'{{"hyperparameters": {{"n_epochs": {epochs}}}}}}})'
    )
    return [ours, openai_call]
