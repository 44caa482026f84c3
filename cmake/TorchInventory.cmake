# The installed torch's API (cmake/torch_inventory.py): dir() of torch's modules and of
# torch.Tensor / torch.nn.Module as the configured Python's torch has them, listed at build time
# and embedded so that hasattr/getattr/dir in model code answer as that torch does. Without a
# torch the inventory is empty and the interpreter answers as before. Sets
# CKPTGUARD_TORCH_INVENTORY (the generated text file). Included from src/CMakeLists.txt, where the
# embedding that depends on it is.

if(PYTHON_EXECUTABLE)
  set(_ckg_inventory_python ${PYTHON_EXECUTABLE})
else()
  find_program(_ckg_inventory_python NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
endif()
set(CKPTGUARD_TORCH_INVENTORY ${CMAKE_BINARY_DIR}/generated/torch_inventory.txt)
add_custom_command(
  OUTPUT ${CKPTGUARD_TORCH_INVENTORY}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND ${_ckg_inventory_python} ${CMAKE_SOURCE_DIR}/cmake/torch_inventory.py ${CKPTGUARD_TORCH_INVENTORY}
  DEPENDS ${CMAKE_SOURCE_DIR}/cmake/torch_inventory.py
  COMMENT "Listing the API of ${_ckg_inventory_python}'s torch")
