//! The configuration file (`config/simak.toml`): TOML over the defaults, then validation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_core::{Config, ConfigError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_toml_str(text) {
        Ok(cfg) => {
            // What the service derives from a loaded configuration at start-up.
            let _ = cfg.index_path();
            let _ = cfg.sources.rss_resolved();
            let _ = cfg.sources.user_agent();
            let _ = cfg.bus.is_kafka();
            let _ = cfg.index.commit_interval();
        }
        Err(ConfigError::Invalid(m)) => assert!(!m.is_empty()),
        Err(e) => panic!("unexpected error kind: {e}"),
    }
});
