# Finds the libraries Suara is built on through pkg-config and exposes them as
# imported targets: suara::uv, suara::lws, suara::pq, suara::cjson, suara::crypto, suara::ssl,
# and the image decoders that check uploaded photos: suara::jpeg, suara::png,
# suara::webp (Debian: libjpeg62-turbo-dev, libpng-dev, libwebp-dev).
find_package(PkgConfig REQUIRED)

function(suara_pkg target module)
  pkg_check_modules(${target} REQUIRED IMPORTED_TARGET ${module})
  add_library(suara::${target} ALIAS PkgConfig::${target})
endfunction()

suara_pkg(uv libuv)
# libwebsockets' pkg-config file names only the shared library, which is what
# we want: its CMake config would also drag in the static archive.
suara_pkg(lws libwebsockets)
suara_pkg(pq libpq)
suara_pkg(cjson libcjson)
# SHA-256 with the CPU's instructions and Ed25519 for the public log (OpenSSL 3).
suara_pkg(crypto libcrypto)
# TLS for `suara log monitor https://...` (server/cli_http.c).
suara_pkg(ssl libssl)
suara_pkg(jpeg libjpeg)
suara_pkg(png libpng)
suara_pkg(webp libwebp)
# QR codes of the witnesses' links, for `suara token create --qr/--card` (libqrencode-dev).
suara_pkg(qrencode libqrencode)
pkg_check_modules(cmocka IMPORTED_TARGET cmocka)
