# cmake -DPKG=FILE -P RequireFile.cmake: fails with a clear message when the
# web client's npm packages (esbuild, for the bundle) are not installed.
if(NOT EXISTS ${PKG})
  message(FATAL_ERROR "${PKG} is missing: run `npm ci --omit=dev` in client-web (bash dev.sh run and test do)")
endif()
