//! Local IPD service emulator (see README).
