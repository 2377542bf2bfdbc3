"""The kiosk: camera -> decode -> decide -> record -> print -> show. Works offline."""
