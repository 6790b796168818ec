# libbulwark_device, the on-device SDK (docs/device.md): the PDQ core,
# index, snapshot reader, PSM client and nudity classifier compiled from
# libbulwark's own sources, depending on libc (with libm) and libsodium
# only. A second build with the image decoders (libbulwark_device_decoders)
# is for desktop apps and bulwark-chat; -DBW_DEVICE_DECODERS=OFF skips it.
option(BW_DEVICE_DECODERS "Also build libbulwark_device_decoders" ON)

set(BW_DEVICE_SOURCES
  common/ctx.c
  common/hex.c
  common/pixel_layout.c
  common/status.c
  device/device_bank.c
  device/device_ctx.c
  device/device_hash.c
  device/device_nudity.c
  device/device_psm.c
  device/md5.c
  hash/pdq_core.c
  hash/pdq_grid.c
  index/pdq_index.c
  index/pdq_results.c
  index/pdq_scan.c
  index/pdq_table.c
  nudity/nudity_blur.c
  nudity/nudity_kernels.c
  nudity/nudity_kernels_avx2.c
  nudity/nudity_load.c
  nudity/nudity_model.c
  nudity/nudity_preprocess.c
  nudity/nudity_run.c
  psm/psm_core.c
  snapshot/snapshot_parse.c
  snapshot/snapshot_set.c
)
set(BW_DEVICE_DECODER_SOURCES
  decode/bmp.c
  decode/gif.c
  decode/heif.c
  decode/image.c
  decode/jpeg.c
  decode/jpeg_dc.c
  decode/png.c
  decode/pnm.c
  decode/sniff.c
  decode/tiff.c
  decode/webp.c
)
set(BW_DEVICE_MAP ${CMAKE_CURRENT_LIST_DIR}/device.map)

function(bw_device_library name with_decoders)
  set(sources ${BW_DEVICE_SOURCES})
  if(with_decoders)
    list(APPEND sources ${BW_DEVICE_DECODER_SOURCES})
  endif()
  add_library(${name} SHARED ${sources})
  target_include_directories(${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/lib ${GIF_INCLUDE_DIR})
  target_compile_definitions(${name} PRIVATE BW_BUILDING_LIBRARY)
  target_link_libraries(${name} PRIVATE PkgConfig::SODIUM Threads::Threads m)
  if(with_decoders)
    target_compile_definitions(${name} PRIVATE BW_DEVICE_DECODERS)
    target_link_libraries(${name} PRIVATE PkgConfig::JPEG PkgConfig::PNG
      PkgConfig::WEBP PkgConfig::TIFF PkgConfig::HEIF ${GIF_LIBRARY})
  endif()
  target_link_options(${name} PRIVATE -Wl,--version-script=${BW_DEVICE_MAP})
  if(NOT BW_FUZZ AND NOT BW_SANITIZE)
    # Every symbol resolved at link time: proof of the dependency list.
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${BW_DEVICE_MAP}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
endfunction()

bw_device_library(bulwark_device OFF)
if(BW_DEVICE_DECODERS)
  bw_device_library(bulwark_device_decoders ON)
endif()
