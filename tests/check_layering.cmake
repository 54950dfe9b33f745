# cmake -DSOURCE_DIR=<repository root> -P check_layering.cmake : fails when an include line crosses the
# layers the wrong way (docs/architecture.md, "Layers"):
#  1. ui/ and app/gui include no engine header ("core/engine/..."): they see the engine only through
#     core's public headers (core/Engine.h, core/generation/..., core/history/..., ...).
#  2. Outside core/engine, engine headers are included by their path from the repository root
#     ("core/engine/io/SafeTensors.h"), never by the engine's own root ("io/SafeTensors.h").
#  3. Inside core/engine, nothing includes "core/..." (the engine knows nothing of core; that it
#     includes no Qt header is the engine_has_no_qt test).
# Only quoted includes are looked at; system and Qt headers use <...>.
cmake_policy(SET CMP0057 NEW) # if(... IN_LIST ...)

# Known exceptions to rule 1, as "file: included header". Keep it empty: an entry is a debt with a
# reason, to be paid by the change named beside it.
set(allowed)

set(bad "")
set(used_allowed "")
set(n 0)
foreach(dir app core ui tests)
  file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${dir}/*.h" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(f IN LISTS files)
    if(f MATCHES "^tests/data/")
      continue()
    endif()
    math(EXPR n "${n} + 1")
    get_filename_component(fdir "${f}" DIRECTORY)
    file(STRINGS "${SOURCE_DIR}/${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
      if(f MATCHES "^core/engine/")
        if(inc MATCHES "^core/")
          list(APPEND bad "${f}: includes \"${inc}\": the engine must not include core headers")
        endif()
        continue()
      endif()
      if(f MATCHES "^(ui|app/gui)/" AND inc MATCHES "^core/engine/")
        if("${f}: ${inc}" IN_LIST allowed)
          list(APPEND used_allowed "${f}: ${inc}")
        else()
          list(APPEND bad "${f}: includes \"${inc}\": ui/ and app/gui reach the engine only through core's public headers (e.g. core/Engine.h)")
        endif()
        continue()
      endif()
      if(NOT inc MATCHES "^core/" AND NOT EXISTS "${SOURCE_DIR}/${fdir}/${inc}"
          AND EXISTS "${SOURCE_DIR}/core/engine/${inc}")
        list(APPEND bad "${f}: includes \"${inc}\": outside the engine write \"core/engine/${inc}\"")
      endif()
    endforeach()
  endforeach()
endforeach()

foreach(a IN LISTS allowed)
  if(NOT a IN_LIST used_allowed)
    list(APPEND bad "check_layering.cmake: the allowed exception \"${a}\" is not needed any more; remove it")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n" text)
  message(FATAL_ERROR "layering_check: include lines that cross the layers:\n${text}")
endif()
list(LENGTH allowed nallowed)
message(STATUS "layering_check: ${n} files follow the layers (${nallowed} known exception(s))")
