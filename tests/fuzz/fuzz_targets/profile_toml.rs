//! A watch profile file (`config/profiles/*.toml`): TOML, then compiling its include/exclude
//! queries, then matching a mention against it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_analyze::profiles::{Profiles, WatchProfile};
use simak_core::Mention;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Exactly how `Profiles::load_dir` reads each file.
    let Ok(p) = toml::from_str::<WatchProfile>(text) else {
        return;
    };
    let Ok(profiles) = Profiles::new(vec![p]) else {
        return;
    };
    let m = Mention::from_json(
        br#"{"id":"x:1","source":"x","text":"Banjir di Sukamaju, Pemkab Sukamaju dan DPUPR belum bertindak #banjir","title":"Jalan rusak","published_at":"2026-09-20T03:00:00Z","fetched_at":"2026-09-20T03:00:00Z","author":{"handle":"humas_sukamaju"}}"#,
    )
    .expect("mention");
    let _ = profiles.match_mention(&m);
});
