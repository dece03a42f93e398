# ringcap's C artifacts. `make lib` builds, into $(OUT):
#   libringcap.so (-> libringcap.so.0), libringcap.a   the library under its own name
#   libpcap.so.0.8 (-> libpcap.so)                        the same code with libpcap's SONAME
#   pkgconfig/ringcap.pc, pkgconfig/libpcap.pc            for uninstalled use
# `make install PREFIX=/usr/local DESTDIR=` installs libraries, headers and .pc files.
CARGO   ?= cargo
CC      ?= cc
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
DESTDIR ?=
OUT     := target/lib
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
RELEASE := target/release

.PHONY: lib install uninstall test demo bench header matrix

lib:
	$(CARGO) build --release --lib
	@mkdir -p $(OUT)/pkgconfig
	cp -f $(RELEASE)/libringcap.so $(OUT)/libringcap.so.0
	ln -sf libringcap.so.0 $(OUT)/libringcap.so
	cp -f $(RELEASE)/libringcap.a $(OUT)/libringcap.a
	$(CC) -shared -o $(OUT)/libpcap.so.0.8 -Wl,-soname,libpcap.so.0.8 \
	    -Wl,--version-script=abi.map -Wl,--gc-sections \
	    -Wl,--whole-archive $(RELEASE)/libringcap.a -Wl,--no-whole-archive \
	    -lpthread -ldl -lm
	ln -sf libpcap.so.0.8 $(OUT)/libpcap.so
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(CURDIR)/$(OUT)|' \
	    -e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@VERSION@|$(VERSION)|' \
	    pkgconfig/ringcap.pc.in > $(OUT)/pkgconfig/ringcap.pc
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(CURDIR)/$(OUT)|' \
	    -e 's|@INCLUDEDIR@|$(CURDIR)/include|' \
	    pkgconfig/libpcap.pc.in > $(OUT)/pkgconfig/libpcap.pc

install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/pcap
	install -m 0755 $(OUT)/libringcap.so.0 $(OUT)/libpcap.so.0.8 $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(OUT)/libringcap.a $(DESTDIR)$(LIBDIR)/
	ln -sf libringcap.so.0 $(DESTDIR)$(LIBDIR)/libringcap.so
	install -m 0644 include/ringcap.h include/pcap.h $(DESTDIR)$(INCDIR)/
	install -m 0644 include/pcap/*.h $(DESTDIR)$(INCDIR)/pcap/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/ringcap.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ringcap.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libringcap.so* $(DESTDIR)$(LIBDIR)/libringcap.a $(DESTDIR)$(LIBDIR)/libpcap.so.0.8
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/ringcap.pc $(DESTDIR)$(INCDIR)/ringcap.h $(DESTDIR)$(INCDIR)/pcap.h

# The README's test command, and the benchmarks.
test:
	scripts/test.sh

bench:
	bench/run.sh

# The demo program, linked against target/lib through pkg-config (scripts/demo.sh
# runs it in a private network namespace; tests/demo.rs builds it this way too).
demo: lib
	@mkdir -p target/demo
	$(CC) -O2 -Wall -o target/demo/demo examples/demo.c \
	    $$(PKG_CONFIG_PATH="$(CURDIR)/$(OUT)/pkgconfig" pkg-config --cflags --libs ringcap) \
	    -Wl,-rpath,"$(CURDIR)/$(OUT)" -pthread

# Regenerate include/ringcap.h from the sources (cbindgen).
header:
	RINGCAP_BLESS=1 $(CARGO) test --test header

# Regenerate MATRIX.md (exports, tcpdump's imports, covering tests).
matrix:
	RINGCAP_BLESS=1 $(CARGO) test --test matrix
