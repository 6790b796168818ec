# The nudity classifier's weights: `npm ci` installs the pinned nsfwjs (and
# TensorFlow.js, used by the equivalence test and the benchmark) into the
# build tree, and convert.mjs turns its MobileNetV2 into
# BW_NUDITY_MODEL_FILE once. Nothing is downloaded at run time.
option(BW_NUDITY_MODEL "Build the nudity classifier's weights from npm's nsfwjs (needs Node.js >= 18 and npm)" ON)
# Cached so tests/, fuzz/, bench/ and programs/ see them too.
set(BW_NUDITY_DIR ${PROJECT_BINARY_DIR}/nudity)
set(BW_NUDITY_MODEL_FILE ${BW_NUDITY_DIR}/nsfw-mobilenetv2.bwnm CACHE INTERNAL "")
set(BW_NUDITY_NODE_MODULES ${BW_NUDITY_DIR}/npm/node_modules CACHE INTERNAL "")
set(BW_NUDITY_TOOLS ${CMAKE_CURRENT_LIST_DIR})

if(BW_NUDITY_MODEL)
  find_program(BW_NODE NAMES node nodejs)
  find_program(BW_NPM npm)
  if(NOT BW_NODE OR NOT BW_NPM)
    message(FATAL_ERROR
      "Node.js and npm are needed to build the nudity classifier's weights, "
      "which are converted from the npm package nsfwjs at build time "
      "(node: ${BW_NODE}, npm: ${BW_NPM}). Install Node.js >= 18 with npm "
      "(Debian: apt-get install nodejs npm; NodeSource's nodejs includes npm), "
      "or configure with -DBW_NUDITY_MODEL=OFF to build without the weights "
      "(the nudity tests are then skipped).")
  endif()
  execute_process(COMMAND ${BW_NODE} --version OUTPUT_VARIABLE BW_NODE_VERSION
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REGEX REPLACE "^v([0-9]+).*" "\\1" BW_NODE_MAJOR "${BW_NODE_VERSION}")
  if(NOT BW_NODE_MAJOR MATCHES "^[0-9]+$" OR BW_NODE_MAJOR LESS 18)
    message(FATAL_ERROR "Node.js ${BW_NODE_VERSION} at ${BW_NODE} is too old: "
                        "the nudity tools need Node.js >= 18.")
  endif()
  message(STATUS "Nudity weights: ${BW_NODE} ${BW_NODE_VERSION}, ${BW_NPM}")

  set(stamp ${BW_NUDITY_DIR}/npm/npm-ci.stamp)
  file(MAKE_DIRECTORY ${BW_NUDITY_DIR}/npm)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E copy ${BW_NUDITY_TOOLS}/package.json
            ${BW_NUDITY_TOOLS}/package-lock.json ${BW_NUDITY_DIR}/npm/
    COMMAND ${BW_NPM} ci --ignore-scripts --no-audit --no-fund --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    WORKING_DIRECTORY ${BW_NUDITY_DIR}/npm
    DEPENDS ${BW_NUDITY_TOOLS}/package.json ${BW_NUDITY_TOOLS}/package-lock.json
    COMMENT "npm ci: nsfwjs and TensorFlow.js, pinned by tools/nudity/package-lock.json"
    VERBATIM)
  add_custom_command(OUTPUT ${BW_NUDITY_MODEL_FILE}
    COMMAND ${BW_NODE} ${BW_NUDITY_TOOLS}/convert.mjs ${BW_NUDITY_NODE_MODULES}
            ${BW_NUDITY_MODEL_FILE}
    DEPENDS ${stamp} ${BW_NUDITY_TOOLS}/convert.mjs ${BW_NUDITY_TOOLS}/nudity-format.mjs
    COMMENT "Converting nsfwjs's MobileNetV2 to ${BW_NUDITY_MODEL_FILE}"
    VERBATIM)
  add_custom_target(nudity_model ALL DEPENDS ${BW_NUDITY_MODEL_FILE})
else()
  add_custom_target(nudity_model)
endif()
