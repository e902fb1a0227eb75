//! A JSONL import file, line by line, as `simak import` reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::jsonl::parse_line;

fuzz_target!(|data: &[u8]| {
    // `simak import` stops at the first line that is not UTF-8.
    let text = match std::str::from_utf8(data) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap(),
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line, simak_fuzz::now()) {
            Ok(m) => simak_fuzz::check_mention(&m),
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
});
