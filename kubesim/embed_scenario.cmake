# Turns a scenario JSON file into a C source defining scn_default_json, so
# the binary carries its default scenario. Usage:
#   cmake -DIN=default.json -DOUT=default_scenario.c -P embed_scenario.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT}
  "/* Generated from ${IN}; do not edit. */\n"
  "#include \"scenario.h\"\n"
  "const char scn_default_json[] = {${bytes} 0x00};\n")
