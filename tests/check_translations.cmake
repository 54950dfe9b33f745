# Fails when a .ts file has entries without a translation (unfinished), or entries left over from
# strings the code no longer has (vanished / obsolete): `cmake --build build --target qd_ui_lupdate`
# then translating the new entries fixes it.
file(READ "${TS}" ts)
string(REGEX MATCHALL "type=\"(unfinished|vanished|obsolete)\"" bad "${ts}")
list(LENGTH bad n)
string(REGEX MATCHALL "<message" messages "${ts}")
list(LENGTH messages total)
if(total EQUAL 0)
  message(FATAL_ERROR "${TS}: no messages at all")
endif()
if(n GREATER 0)
  message(FATAL_ERROR "${TS}: ${n} of ${total} entries are not translated (unfinished / vanished)")
endif()
message(STATUS "${TS}: all ${total} entries translated")
