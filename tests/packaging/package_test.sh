#!/bin/bash
# The .deb: what dpkg-deb says about it, what it holds, binaries that run
# from it, units that systemd accepts and whose command lines the binaries
# accept with the packaged default settings.
set -euo pipefail

build_deb=$1 publisher=$2 adapter=$3 ctl=$4
work=$TEST_TMPDIR/package
rm -rf "$work"
mkdir -p "$work"
fail=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  local what=$1; shift
  if ! "$@" >"$work/check.log" 2>&1; then
    echo "FAIL: $what"; sed 's/^/    /' "$work/check.log"; fail=1
  fi
}

deb=$("$build_deb" --publisher "$publisher" --adapter "$adapter" --ctl "$ctl" \
  --out "$work/out")
version=$(sed -n 's/.*kVersion\[\] = "\([^"]*\)".*/\1/p' service/config/version.h)
arch=$(dpkg --print-architecture)
[[ "$deb" == "$work/out/ocs-influx-publisher_${version}_${arch}.deb" && -f "$deb" ]] || {
  echo "FAIL: unexpected package path $deb"; exit 1
}

# The control fields.
info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
[[ $(field Package) == ocs-influx-publisher ]] || { echo "FAIL: Package"; fail=1; }
[[ $(field Version) == "$version" ]] || { echo "FAIL: Version $(field Version)"; fail=1; }
[[ $(field Architecture) == "$arch" ]] || { echo "FAIL: Architecture"; fail=1; }
# Depends come from the binaries' libraries, versioned.
for lib in libc6 'libgrpc++1.51' libprotobuf32 libcurl4 libyaml-cpp0.7 libstdc++6 libisal2 libdeflate0; do
  if ! field Depends | tr ',' '\n' | grep -q "^ *$lib (>= "; then
    echo "FAIL: Depends lacks $lib: $(field Depends)"; fail=1
  fi
done
for script in postinst prerm postrm conffiles md5sums; do
  grep -q " $script " <<<"$info" || { echo "FAIL: no $script in the control archive"; fail=1; }
done

# The files, with their owners and modes.
contents=$(dpkg-deb --contents "$deb")
expect_file() {  # expect_file MODE PATH
  if ! grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" <<<"$contents"; then
    echo "FAIL: no $1 root/root ./$2 in the package"; fail=1
  fi
}
expect_file -rwxr-xr-x usr/bin/ocs-influx-publisher
expect_file -rwxr-xr-x usr/bin/ocs_adapter
expect_file -rwxr-xr-x usr/bin/publisherctl
expect_file -rw-r--r-- lib/systemd/system/ocs-influx-publisher.service
expect_file -rw-r--r-- 'lib/systemd/system/ocs-influx-adapter@\.service'
expect_file -rw------- etc/ocs-influx-publisher/publisher.env
expect_file -rw------- etc/ocs-influx-publisher/adapter.env
expect_file -rw-r--r-- usr/share/bash-completion/completions/publisherctl
expect_file -rw-r--r-- usr/share/doc/ocs-influx-publisher/copyright
expect_file -rw-r--r-- usr/share/doc/ocs-influx-publisher/README\.md\.gz
expect_file -rw-r--r-- usr/share/doc/ocs-influx-publisher/deploy\.md\.gz
# The settings survive upgrades as the admin edited them.
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles"
for conffile in /etc/ocs-influx-publisher/publisher.env /etc/ocs-influx-publisher/adapter.env; do
  grep -qx "$conffile" "$work/conffiles" || { echo "FAIL: $conffile is not a conffile"; fail=1; }
done

# Extracted, every binary runs and answers --help.
root=$work/root
dpkg-deb -x "$deb" "$root"
for binary in ocs-influx-publisher ocs_adapter publisherctl; do
  check "$binary --help" "$root/usr/bin/$binary" --help
  # Captured first: `grep -q` stops reading at the first match, and under
  # pipefail the binary's SIGPIPE on a long help text would fail the check.
  help_text=$("$root/usr/bin/$binary" --help 2>&1 || true)
  grep -q '^Usage: ' <<<"$help_text" ||
    { echo "FAIL: $binary --help prints no usage"; fail=1; }
done
[ -f "$root/usr/share/doc/ocs-influx-publisher/grafana/publisher-dashboard.json" ] ||
  { echo "FAIL: the Grafana dashboard is not in /usr/share/doc"; fail=1; }
check "packaged completion parses" bash -n "$root/usr/share/bash-completion/completions/publisherctl"
grep -q '^complete .*-F _publisherctl publisherctl$' \
  "$root/usr/share/bash-completion/completions/publisherctl" ||
  { echo "FAIL: the completion registers nothing for publisherctl"; fail=1; }
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work" ./postinst ./prerm ./postrm
for script in postinst prerm postrm; do
  check "$script parses" sh -n "$work/$script"
done

# Each unit's command line, with the packaged settings and an instance id,
# is one the binary accepts: an unknown or misspelt flag fails --help.
exec_start() {  # exec_start UNIT ENV_FILE
  local line
  line=$(sed -n 's/^ExecStart=//p' "$1")
  # systemd's EnvironmentFile= and a shell read these simple files alike.
  (
    set -a
    # shellcheck disable=SC1090
    . "$2"
    line=${line//%i/influxagent}
    line=${line//\/usr\/bin\//$root/usr/bin/}
    eval "set -- $line"
    "$@" --help
  )
}
check "publisher unit's ExecStart" exec_start \
  "$root/lib/systemd/system/ocs-influx-publisher.service" "$root/etc/ocs-influx-publisher/publisher.env"
check "adapter unit's ExecStart" exec_start \
  "$root/lib/systemd/system/ocs-influx-adapter@.service" "$root/etc/ocs-influx-publisher/adapter.env"
grep -q -- '--spool-dir /var/lib/ocs-influx-publisher/publisher/spool ' \
  "$root/lib/systemd/system/ocs-influx-publisher.service" &&
grep -q '^StateDirectory=ocs-influx-publisher/publisher$' \
  "$root/lib/systemd/system/ocs-influx-publisher.service" ||
  { echo "FAIL: the publisher's spool is not in its state directory"; fail=1; }
grep -q -- '--spool-dir /var/lib/ocs-influx-publisher/%i/spool ' \
  "$root/lib/systemd/system/ocs-influx-adapter@.service" &&
grep -q '^StateDirectory=ocs-influx-publisher/%i$' \
  "$root/lib/systemd/system/ocs-influx-adapter@.service" ||
  { echo "FAIL: the adapter's spool is not in its state directory"; fail=1; }

# systemd's own judgement of the units, where systemd-analyze exists. The
# binaries are not installed here, so the units point at the extracted ones;
# any word from verify (even a warning it exits 0 on) fails.
if command -v systemd-analyze >/dev/null; then
  units=$work/units
  mkdir -p "$units"
  for unit in ocs-influx-publisher.service ocs-influx-adapter@.service; do
    sed "s|/usr/bin/|$root/usr/bin/|g" "$root/lib/systemd/system/$unit" >"$units/$unit"
  done
  for unit in ocs-influx-publisher.service ocs-influx-adapter@influxagent.service; do
    if ! (cd "$units" && systemd-analyze verify --man=no "./$unit") >"$work/verify.log" 2>&1 ||
       [ -s "$work/verify.log" ]; then
      echo "FAIL: systemd-analyze verify $unit:"; sed 's/^/    /' "$work/verify.log"; fail=1
    fi
  done
else
  echo "systemd-analyze not found: units not verified"
fi

exit $fail
