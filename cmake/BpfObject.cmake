# bpf_object(NAME SOURCE [DEPENDS headers...])
#
# Compiles SOURCE with clang for the BPF target (-O2 -g, BTF kept) and generates
# a libbpf skeleton with `bpftool gen skeleton`. Creates the INTERFACE target
# NAME_skel: link it and include "NAME.skel.h".

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

execute_process(COMMAND ${CMAKE_C_COMPILER} -dumpmachine
                OUTPUT_VARIABLE DW_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT DW_MULTIARCH)
  execute_process(COMMAND gcc -dumpmachine
                  OUTPUT_VARIABLE DW_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(BPF_CFLAGS -target bpf -O2 -g -mcpu=v3 -Wall -Werror
    -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/bpf
    -I/usr/include/${DW_MULTIARCH})

function(bpf_object name src)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  file(GLOB bpf_headers ${PROJECT_SOURCE_DIR}/bpf/*.h ${PROJECT_SOURCE_DIR}/include/dscpwatch/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} ${BPF_CFLAGS} -c ${src} -o ${obj}
    DEPENDS ${src} ${bpf_headers} ${ARG_DEPENDS}
    COMMENT "BPF ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  set_property(TARGET ${name}_skel PROPERTY BPF_OBJECT ${obj})
endfunction()
