"""Which files can tf_upgrade_v2 process? (run with the project's Python, which has TensorFlow)

tf_upgrade_v2 --intree aborts the whole tree on the first file its pasta parser rejects
(f-string ``=`` specifiers, some 3.8+ syntax). The benchmark corpus therefore leaves out the
files it cannot handle, found here with the tool's own per-file code path:
``ASTCodeUpgrader.process_file``. Prints one failing path per line.
"""

import os
import sys
import tempfile
import warnings

warnings.simplefilter("ignore")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tensorflow.tools.compatibility import ast_edits, tf_upgrade_v2  # noqa: E402


def main() -> None:
    upgrade = ast_edits.ASTCodeUpgrader(tf_upgrade_v2.TFAPIChangeSpec(import_rename=False, upgrade_compat_v1_import=True))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.py")
        real_stdout, sys.stdout = sys.stdout, sys.stderr  # the tool prints warnings
        for path in sys.stdin.read().splitlines():
            try:
                upgrade.process_file(path, out)
            except Exception:
                real_stdout.write(path + "\n")
                real_stdout.flush()


if __name__ == "__main__":
    main()
