# ~/.config/fish/config.fish: `pip` goes through safepip, and the scripts it links are on PATH.
safepip shell-init fish | source
