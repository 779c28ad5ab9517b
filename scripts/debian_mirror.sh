#!/bin/sh
# Print the Debian mirror this machine's apt uses for the main archive (not security), read
# from /etc/apt/sources.list and /etc/apt/sources.list.d/*, in one-line or deb822 format.
# Override with DEBIAN_MIRROR=<url>.
set -eu
if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "$DEBIAN_MIRROR"
    exit 0
fi
mirror=$(
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && cat "$f" && echo
    done | awk '
        # one-line format: deb [options] URI suite components
        /^[[:space:]]*deb[[:space:]]/ {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break }
            next
        }
        # deb822 format: stanzas of "Key: value" lines, separated by blank lines
        /^[[:space:]]*$/ { if (is_deb && uri != "") print uri; uri = ""; is_deb = 0; next }
        /^Types:/ { is_deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
        /^URIs:/ { uri = $2 }
        END { if (is_deb && uri != "") print uri }
    ' | grep -v -e '-security' -e 'security\.' | grep -E '^https?://' | head -n 1
)
if [ -z "$mirror" ]; then
    echo "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR" >&2
    exit 1
fi
echo "$mirror"
