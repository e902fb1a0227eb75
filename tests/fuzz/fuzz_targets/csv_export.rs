//! The CSV export of one mention (`GET /api/export?format=csv`): the mention as it is stored
//! (JSON), or fields split at NUL bytes. A spreadsheet must read back exactly the cells
//! written, one record per mention, and no cell may start as a formula.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_core::Mention;
use simak_server::export::{csv_line, csv_row, COLUMNS};

fn mention(data: &[u8]) -> Mention {
    if let Ok(m) = Mention::from_json(data) {
        return m;
    }
    let f = simak_fuzz::fields(data, 8);
    let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
    let mut m = Mention::from_json(
        br#"{"id":"x:1","source":"x","text":"","published_at":"2026-09-20T03:00:00Z","fetched_at":"2026-09-20T03:00:00Z"}"#,
    )
    .expect("template");
    m.text = f[0].clone();
    m.title = opt(&f[1]);
    m.author.handle = opt(&f[2]);
    m.author.name = opt(&f[3]);
    m.url = opt(&f[4]);
    m.id = f[5].clone();
    m.lang = opt(&f[6]);
    m.profiles = f[7].split(' ').filter(|p| !p.is_empty()).map(str::to_string).collect();
    m
}

fuzz_target!(|data: &[u8]| {
    let m = mention(data);
    let row = csv_row(&m);
    assert_eq!(row.len(), COLUMNS.len());
    for cell in &row {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell a spreadsheet reads as a formula: {cell:?}"
        );
    }
    let mut bytes = csv_line(&COLUMNS.map(String::from));
    bytes.extend(csv_line(&row));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let records: Vec<csv::StringRecord> = r.records().map(|x| x.expect("CSV reads back")).collect();
    assert_eq!(records.len(), 1, "one mention, one record: {row:?}");
    let back: Vec<&str> = records[0].iter().collect();
    assert_eq!(back, row.iter().map(String::as_str).collect::<Vec<_>>());
});
