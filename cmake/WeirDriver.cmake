# weir_add_driver(name): adds the driver folder's standard files to libweir. Every driver
# has the same set, so a reader who knows one knows them all.
function(weir_add_driver name)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  target_sources(weir_lib PRIVATE
    ${dir}/bulk_writer.cpp
    ${dir}/catalog.cpp
    ${dir}/connection.cpp
    ${dir}/cursor.cpp
    ${dir}/dialect.cpp
    ${dir}/driver.cpp
    ${dir}/errors.cpp
    ${dir}/options.cpp
    ${dir}/types.cpp)
endfunction()
