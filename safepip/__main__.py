from __future__ import annotations

from safepip.entry import main

if __name__ == "__main__":
    main()
