"""Write docs/settings.md from digit_classifier.config.SETTINGS: ``python docs/gen_settings.py``."""

from __future__ import annotations

import sys
from pathlib import Path

from digit_classifier.config import SETTINGS, Setting

OUT = Path(__file__).resolve().parent / "settings.md"

HEADER = """# Settings

Generated from `SETTINGS` in `digit_classifier/config.py` by `python docs/gen_settings.py`;
`tests/web/test_settings.py` fails when this file and the table disagree.

Each setting has one row. **name** is its key in the Flask config, in
`<instance folder>/settings.toml` and in `create_app(test_config)`; **environment** is the
variable the app and the CLI read (only `digit_classifier/config.py` reads it; an empty
variable counts as unset); **deployment** is the `deployment_scripts/config_profile.sh`
variable (`DC_REPORT_URL`: computed by `build_all_local.sh`) that the deployment passes on
as that environment variable: the generated WSGI script
(`deployment_scripts/site.wsgi.template`) sets it for the web app, and the build's own CLI
calls get `DC_DATA_DIR` and `DC_MODEL_PATH` as `--data-dir`/`--model`.
Precedence in the web app, lowest first: default < `settings.toml` < environment < `test_config`.

"""

FOOTER = """
Defaults of the paths: from a checkout (a folder with `setup.py` and `.git` or
`data/README.md` beside `digit_classifier/`) the repository's `data/`; from an installed
package (`pip install .`) the user's data folder `$XDG_DATA_HOME/digit-classifier`, which is
`~/.local/share/digit-classifier` when `XDG_DATA_HOME` is unset. `digit-classifier train --help`
shows the folder it would use. The deployment sets both paths explicitly
(`/opt/digit_classifier/data`, `/opt/digit_classifier/model/model.pkl`).

The other `DC_*` variables of `config_profile.sh` (port, processes, threads, install
folders, Apache) configure the deployment itself, not the app: see
[deployment.md](deployment.md).
"""


def default_text(setting: Setting) -> str:
    """How the table shows a default: computed path defaults by their rule, None as 'none'."""
    if callable(setting.default):
        tail = "/model.pkl" if setting.name == "MODEL_PATH" else ""
        return f"checkout: `data{tail}`; installed: `$XDG_DATA_HOME/digit-classifier{tail}`"
    if setting.default is None:
        return "none"
    return f"`{setting.default}`"


def render() -> str:
    """The whole of docs/settings.md as text."""
    rows = ["| name | environment | default | applies to | deployment | meaning |",
            "|---|---|---|---|---|---|"]
    for s in SETTINGS:
        deploy = f"`{s.deploy}`" if s.deploy else ""
        rows.append(f"| `{s.name}` | `{s.env}` | {default_text(s)} | {', '.join(s.applies_to)} "
                    f"| {deploy} | {s.doc} |")
    return HEADER + "\n".join(rows) + "\n" + FOOTER


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
