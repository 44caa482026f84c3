# What a build is made of, for `ckptguard --version` (src/cli/version.cpp, through the generated
# cli/build_info.h) and for Python (the generated ckptguard/_build_info.py, installed with the
# extensions): the tool version, the grammar, the torch API the catalogue models, and the
# checker's libtorch. Needs TreeSitterPython.cmake and Torch.cmake first.

set(CKPTGUARD_BUILD_INFO_DIR ${CMAKE_BINARY_DIR}/generated)
# Where the development build's extensions and Python package live: the binary built at this
# path reports the checker found there; an installed copy looks beside itself instead.
set(CKPTGUARD_DEV_BINARY ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/ckptguard)
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.h.in ${CKPTGUARD_BUILD_INFO_DIR}/cli/build_info.h @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.py.in ${CKPTGUARD_PACKAGE_DIR}/_build_info.py @ONLY)
