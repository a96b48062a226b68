# cmake -DDIR=client-web -P ClientGzip.cmake
#
# Writes a gzip twin (FILE.gz) beside every text file the web client ships,
# when it is missing or older than the file, and removes twins whose file is
# gone. The server sends a twin to browsers that accept gzip (server/net/
# files.c), and only while the twin's header names the file's current time
# and size (gzip records both), so a twin from before an edit, or one whose
# file was copied without its time, is never served.
if(NOT DIR)
  message(FATAL_ERROR "DIR is not set")
endif()
find_program(GZIP gzip REQUIRED)
file(GLOB_RECURSE texts RELATIVE ${DIR}
     ${DIR}/*.html ${DIR}/*.js ${DIR}/*.mjs ${DIR}/*.css ${DIR}/*.svg ${DIR}/*.webmanifest)
foreach(rel ${texts})
  if(rel MATCHES "(^|/)node_modules/")
    continue()
  endif()
  set(src ${DIR}/${rel})
  if(NOT EXISTS ${src}.gz OR NOT ${src}.gz IS_NEWER_THAN ${src})
    execute_process(COMMAND ${GZIP} -9 -c ${src} OUTPUT_FILE ${src}.gz.tmp RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "gzip ${src} failed")
    endif()
    file(RENAME ${src}.gz.tmp ${src}.gz)
  endif()
endforeach()
file(GLOB_RECURSE twins ${DIR}/*.gz)
foreach(twin ${twins})
  string(REGEX REPLACE "\\.gz$" "" src ${twin})
  if(NOT twin MATCHES "/node_modules/" AND NOT EXISTS ${src})
    file(REMOVE ${twin})
  endif()
endforeach()
