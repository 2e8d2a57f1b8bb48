# Shortcuts for the scripts in scripts/ (which also work without make).
.PHONY: run test bench build clean
run:
	scripts/run
test:
	scripts/test
bench:
	scripts/bench
build:
	scripts/build
clean:
	rm -rf build build-*/
