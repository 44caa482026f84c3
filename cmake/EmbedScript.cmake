# Script mode helper for ckptguard_embed_text: writes INPUT as a raw string literal.
file(READ ${INPUT} content)
string(FIND "${content}" ")ckg_embed\"" found)
if(NOT found EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace ckg::embedded {\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} = R\"ckg_embed(${content})ckg_embed\";\n}\n")
