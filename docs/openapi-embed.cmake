# openapi-embed.cmake - turns docs/connect-openapi.json into a C array, so that a connection-test
# session serves its OpenAPI document (GET /connect/v1/openapi.json) wherever the binary runs.
#   cmake -DIN=docs/connect-openapi.json -DOUT=connect_openapi.c -P docs/openapi-embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE "${OUT}.tmp" "/* Generated from docs/connect-openapi.json by docs/openapi-embed.cmake: do not edit. */\n#include <stddef.h>\nconst unsigned char connect_openapi_json[] = {${hex} 0x00};\nconst size_t connect_openapi_json_len = ${n};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
