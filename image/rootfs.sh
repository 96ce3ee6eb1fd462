#!/usr/bin/env bash
# The root file system under the service in the default image (base `scratch`): a Java runtime linked
# with jlink from the build JDK, the shared libraries it loads (found with ldd), the non-root user and
# name lookup. Jib adds this directory to the image; see the image section of pom.xml.
#
#   image/rootfs.sh JAVA_HOME OUTPUT_DIR MODULES
#
# Needs Linux, a JDK 17 with its jmods (Debian/Ubuntu: openjdk-17-jdk-headless has them) and ldd.
set -euo pipefail

java_home=$1
out=$2
modules=$3

fail() {
  echo "image/rootfs.sh: $1" >&2
  echo "image/rootfs.sh: or build on a registry base instead: mvn verify -Dimage.base=eclipse-temurin:17-jre" >&2
  exit 1
}

[ "$(uname -s)" = Linux ] || fail "the default image copies this machine's Linux libraries: build it on Linux"
[ -d "$java_home/jmods" ] || fail "jlink needs $java_home/jmods (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"
command -v ldd >/dev/null || fail "ldd is missing"

rm -rf "$out"
mkdir -p "$out/etc" "$out/tmp"

# Modules found with jdeps over the image's jars, plus service providers jdeps cannot see (see pom.xml).
"$java_home/bin/jlink" --add-modules "$modules" --output "$out/opt/java" \
  --strip-debug --no-header-files --no-man-pages

# java.desktop is there for java.beans (SnakeYAML introspects with it); the service is headless, so the
# desktop's native libraries that would bring X11, ALSA, FreeType or libjpeg into the image stay out.
for lib in libawt_xawt libjawt libsplashscreen libjsound libfontmanager libjavajpeg liblcms; do
  rm -f "$out/opt/java/lib/$lib.so"
done

# Debian's cacerts is a symlink into /etc: the image needs the certificates themselves.
if [ -e "$java_home/lib/security/cacerts" ]; then
  cp -L "$java_home/lib/security/cacerts" "$out/opt/java/lib/security/cacerts"
fi

# Every shared library the runtime's binaries link against, at the path this machine's loader found it.
needed=$(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 | xargs -0 ldd 2>/dev/null)
# (libjvm.so is "not found" from the libraries that the JVM loads after it: it is the runtime's own)
missing=""
for name in $(echo "$needed" | awk '/not found/ { print $1 }' | sort -u); do
  [ -n "$(find "$out/opt/java" -name "$name" -print -quit)" ] || missing="$missing $name"
done
[ -z "$missing" ] || fail "the runtime needs libraries this machine lacks:$missing"
echo "$needed" |
  awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' |
  sort -u |
  while read -r lib; do
    case "$lib" in "$out"/*) continue ;; esac
    mkdir -p "$out$(dirname "$lib")"
    cp -L "$lib" "$out$lib"
  done
[ -n "$(find "$out" -name 'ld-linux*' -print -quit)" ] || fail "ldd found no dynamic loader for $java_home/bin/java"

# The service runs as 65532:65532 (see the image's user in pom.xml); its home is the writable /tmp.
cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
roster:x:65532:65532:roster:/tmp:/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
roster:x:65532:
EOF
# Host names from the platform's /etc/hosts first, then DNS (PostgreSQL, RabbitMQ, Hazelcast's discovery).
echo 'hosts: files dns' > "$out/etc/nsswitch.conf"

echo "image/rootfs.sh: $(du -sh "$out" | cut -f1) in $out (modules: $modules)"
