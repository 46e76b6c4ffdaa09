#!/bin/sh
# Rancher's machine-provision job as the rancher/machine image runs it, for scripts/test/job-flow.test.ts: the
# container's arguments in, the driver fetched from --driver-download-url and checked against --driver-hash, then
# rancher-machine run with the remaining arguments. Written for this test from what the image's package/ scripts do:
#   - every argument other than the two download options that starts with `--` and holds a `=` becomes two
#     arguments, cut at the first `=` (so a value keeps later `=`, spaces and newlines);
#   - the file is fetched with curl into the working directory under the last segment of the URL, which must begin
#     with docker-machine-driver-; the driver's name is what follows, up to the first `-`, `_` or `.`;
#   - with a hash, `sha256sum` of the file must read "<hash>  <file>";
#   - `file` decides what it is: ELF (used as is), Zip archive (unzip) or gzip compressed (tar), nothing else;
#   - docker-machine-driver-<name> from the top of the archive is made executable and moved into the install
#     directory (the image: /usr/local/bin, owned by the job's user; here $JOB_INSTALL_DIR, on PATH).
set -eu

install_dir=${JOB_INSTALL_DIR:?JOB_INSTALL_DIR must name the install directory}
prefix=docker-machine-driver-
download_url=
download_hash=

n=$#
while [ "$n" -gt 0 ]; do
  arg=$1
  shift
  n=$((n - 1))
  case $arg in
  --driver-download-url=*) download_url=${arg#*=} ;;
  --driver-hash=*) download_hash=${arg#*=} ;;
  --*=*) set -- "$@" "${arg%%=*}" "${arg#*=}" ;;
  *) set -- "$@" "$arg" ;;
  esac
done

fetch_driver() {
  url=$1
  want=$2
  curl -sSLO "$url" || echo "curl exited $?"
  # What curl saved: the only file here with the prefix.
  set -- "$prefix"*
  [ -f "$1" ] || { echo "nothing named $prefix* was downloaded from $url"; return 1; }
  saved=$1
  rest=${saved#"$prefix"}
  name=${rest%%[-_.]*}
  if [ -n "$want" ] && [ "$(sha256sum "$saved")" != "$want  $saved" ]; then
    echo "downloaded file $saved failed sha256 checksum"
    return 1
  fi
  kind=$(file "$saved")
  echo "$kind"
  mkdir unpacked
  case $kind in
  *ELF*) exe=$saved ;;
  *"Zip archive"*) unzip -qq -d unpacked "$saved" || { echo "could not unzip $name"; return 1; }; exe=unpacked/$prefix$name ;;
  *"gzip compressed"*) tar -xzf "$saved" -C unpacked || { echo "could not inflate $name"; return 1; }; exe=unpacked/$prefix$name ;;
  *) echo "driver file does not seem to be in an accepted format"; return 1 ;;
  esac
  chmod +x "$exe"
  mv "$exe" "$install_dir/$prefix$name"
  rm -rf unpacked "$saved"
  echo "installed $install_dir/$prefix$name"
}

if [ -n "$download_url" ]; then
  echo "Downloading driver from $download_url"
  fetch_driver "$download_url" "$download_hash" || { echo "download of driver from $download_url failed"; exit 1; }
fi

exec rancher-machine "$@"
