#!/bin/sh
# Installs Warden from this directory under /usr/local, as the .deb installs it under /usr:
#   sh install.sh               install, or bring an installation up to this version (run it as often as you like)
#   sh install.sh --uninstall   remove the programs, shared files and the systemd unit; keep /etc/warden and
#                               /var/lib/warden (Warden's database and the engines' logs)
#   sh install.sh --purge       --uninstall, and remove /etc/warden and /var/lib/warden too
# An edited /etc/warden/warden.yml is never overwritten: this version's file is put beside it as warden.yml.dist.
# The `warden` system user owns /var/lib/warden (mode 0700) and stays on --purge, as with the .deb.
# Needs: libsqlite3-0, ca-certificates (`apt install libsqlite3-0 ca-certificates` on Debian and Ubuntu).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
files=$here/files
prefix=/usr/local
unit=/etc/systemd/system/warden.service
config=/etc/warden/warden.yml

[ "$(id -u)" = 0 ] || { echo "install.sh: run it as root (sudo sh install.sh)" >&2; exit 1; }

systemd_reload() {
    if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
}

uninstall() {
    if [ -d /run/systemd/system ] && systemctl is-active --quiet warden.service 2>/dev/null; then
        systemctl stop warden.service
    fi
    if [ -d /run/systemd/system ]; then systemctl disable warden.service >/dev/null 2>&1 || true; fi
    rm -f "$prefix/bin/warden" "$prefix/bin/warden-demo-engine" "$unit"
    rm -rf "$prefix/share/warden" "$prefix/share/doc/warden"
    systemd_reload
    echo "Warden removed; /etc/warden and /var/lib/warden are kept (--purge removes them)."
}

case "${1:-}" in
    --uninstall) uninstall; exit 0 ;;
    --purge)
        uninstall
        rm -rf /etc/warden /var/lib/warden
        echo "/etc/warden and /var/lib/warden removed; the warden user stays."
        exit 0 ;;
    "") ;;
    *) echo "install.sh: unknown option $1 (use --uninstall or --purge)" >&2; exit 2 ;;
esac

# Programs, shared files and documentation: replaced by this version's.
install -d "$prefix/bin" "$prefix/share"
install -m 0755 "$files$prefix/bin/warden" "$files$prefix/bin/warden-demo-engine" "$prefix/bin/"
rm -rf "$prefix/share/warden" "$prefix/share/doc/warden"
install -d "$prefix/share/doc"
cp -R "$files$prefix/share/warden" "$prefix/share/warden"
cp -R "$files$prefix/share/doc/warden" "$prefix/share/doc/warden"
install -m 0644 "$files$unit" "$unit"

# The config: installed when there is none; an edited one is the operator's and stays.
install -d -m 0755 /etc/warden
if [ ! -e "$config" ]; then
    install -m 0644 "$files$config" "$config"
elif cmp -s "$files$config" "$config"; then
    rm -f "$config.dist"
else
    install -m 0644 "$files$config" "$config.dist"
    echo "$config is edited: kept as it is; this version's file is $config.dist"
fi

# The user and the state directory.
if ! getent passwd warden >/dev/null; then
    nologin=$(command -v nologin || echo /usr/sbin/nologin)
    useradd --system --user-group --home-dir /var/lib/warden --no-create-home --shell "$nologin" warden
fi
install -d -o warden -g warden -m 0700 /var/lib/warden

systemd_reload
echo "Warden $("$prefix/bin/warden" version | cut -d' ' -f2-) installed. Next: edit $config, then"
echo "  warden check-config $config && systemctl enable --now warden"
