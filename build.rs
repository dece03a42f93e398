//! Gives the cdylib a SONAME, so that programs linked with `-lringcap` record
//! `libringcap.so.0` rather than a build path. (`libpcap.so.0.8`, the copy
//! with libpcap's SONAME, is linked from the static library by the Makefile.)
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libringcap.so.0");
    println!("cargo:rerun-if-changed=build.rs");
}
