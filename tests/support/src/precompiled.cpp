// The translation unit that carries the test executables' shared precompiled header.
