from __future__ import annotations

from safepip.cli import main

if __name__ == "__main__":
    main()
