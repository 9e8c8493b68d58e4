"""The example's modules are imported from the project's root, the SDK from sdk/python."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parents[3] / "sdk" / "python" / "src"))
