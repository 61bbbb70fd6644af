# embed.cmake - turns the report's page parts (web/chart.js, web/impact.js, web/steps.js,
# web/prefectures.js, web/report.js, web/report.css)
# into C arrays, so report.html is written by the binary alone wherever it runs.
#   cmake -DIN_DIR=web -DOUT=report_assets.c -P web/embed.cmake
set(parts chart.js impact.js steps.js prefectures.js report.js report.css)
set(text "/* Generated from web/ by web/embed.cmake: do not edit. */\n#include <stddef.h>\n")
foreach(part ${parts})
  file(READ "${IN_DIR}/${part}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR n "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(MAKE_C_IDENTIFIER "${part}" id)
  string(APPEND text "const unsigned char node_report_asset_${id}[] = {${hex} 0x00};\nconst size_t node_report_asset_${id}_len = ${n};\n")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
