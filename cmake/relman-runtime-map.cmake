# Writes the version script of librelman-runtime: every rm_ name the public
# headers (runtime.h, apply.h and what they include), preprocessed without
# comments, mention is global, everything else local. Run at build time:
#   cmake -DIN=<preprocessed headers> -DOUT=<map> -DVERSION=<major> -P this
file(READ "${IN}" text)
string(REGEX MATCHALL "rm_[A-Za-z0-9_]+[ \t]*\\(" calls "${text}")
set(names)
foreach(c ${calls})
  string(REGEX REPLACE "[ \t]*\\($" "" n "${c}")
  list(APPEND names ${n})
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
set(body "")
foreach(n ${names})
  string(APPEND body "    ${n};\n")
endforeach()
file(WRITE "${OUT}.tmp"
  "/* Generated from the public headers: the runtime's exported symbols. */\n"
  "RELMAN_RUNTIME_${VERSION} {\n  global:\n${body}  local:\n    *;\n};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
