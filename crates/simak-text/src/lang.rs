//! Language detection for short posts: Indonesian (`id`), English (`en`), Javanese (`jv`),
//! Sundanese (`su`), or `other`. Malay is reported as Indonesian.
//!
//! whatlang alone is unreliable on a ten-word post, knows no Sundanese and no Malay, and mixes
//! Javanese with Indonesian. So detection votes with function words first — the short, frequent
//! words that give a language away even in a tweet (`ora`, `wis`, `kowe` for Javanese; `teu`,
//! `abdi`, `naon` for Sundanese; `yang`, `tidak`, `sudah` for Indonesian; `the`, `is`, `of` for
//! English) — and falls back to whatlang (restricted to a few Latin-script languages, which is
//! also ~4× faster than over all of them) when the words do not decide. A post in a non-Latin
//! script, or Latin text none of this recognises, is `other`.

use std::collections::HashMap;
use std::sync::OnceLock;
use whatlang::{Detector, Lang};

/// Simak's language test set: `lang<TAB>text` short posts written for the project (see
/// `data/lang-test.README.md`).
pub const TEST_SET: &str = include_str!("../data/lang-test.tsv");

/// The codes this module returns.
pub const LANGUAGES: &[&str] = &["id", "en", "jv", "su", "other"];

// Words that are common in one language and rare or absent in the others. Words shared by
// Indonesian and Javanese/Sundanese (aku, apa, kapan, tapi, bisa) are left out on purpose.
const JV: &str = "ora orak kowe kowé sampeyan panjenengan kulo kula opo piye kepiye pripun sing karo \
    wis uwis wes durung dereng lan iki kuwi kae iku ning neng ndek ono onok arep meh mangan turu mlaku \
    omah wong bocah sopo sinten endi ngendi mergo amarga nek yen ben tenan temenan apik elek saiki \
    mengko wingi sesuk matur nuwun suwun sugeng monggo mboten nggih inggih niku menika kados sampun \
    badhe ajeng kaliyan soko marang dadi gawe ngerti weruh ndelok krungu iso isa lho tho jal rek dulur \
    lur ae wae aja ojo ojok awakmu awakdewe dewe dhewe kabeh kabèh luwih akeh sithik thithik ngono \
    ngene kok piro pira piye sopo lha lah ndang mbok pancen tansah isih esih mau saka teko tekan \
    marem seneng susah angel gampang banyu dalan sega pitik";
const SU: &str = "abdi anjeun teu henteu naon kumaha iraha saha mah téh teh atuh euy wéh weh pisan \
    sareng jeung nu tina ku kana dina badé bade hoyong tos geus acan keur nuju mangga punten hatur \
    nuhun sumuhun muhun kitu kieu ayeuna engké engke kamari énjing enjing saé sae hadé hade sabaraha \
    dupi éta eta ieu nya ogé oge mun lamun upami margi jalmi jelema imah cai dahar tuang saré indit \
    ningali nempo ngadamel nyieun tiasa kedah moal entong ulah baé urang aranjeunna sadayana sadaya \
    seueur saeutik langkung hiji dua tilu opat lima genep tujuh dalapan salapan sapuluh bapa ema \
    kang teteh akang neng lain leres bener wios teras terus kaluar lebet sumping angkat mulih";
const ID: &str = "yang dan di ke dari tidak tak ini itu untuk dengan ada akan sudah belum saya kami kita \
    mereka juga bisa karena pada adalah dalam oleh sangat lebih tetapi atau jika kalau harus masih \
    hanya agar bagi tentang setelah sebelum ketika saat namun serta seperti banyak semua sebuah \
    pemerintah warga kabupaten kota desa jalan rusak mohon terima kasih tolong segera kenapa mengapa \
    bagaimana apakah sekali banget gak nggak enggak udah aja sih dong deh kok ya nih tuh loh \
    mau ingin jangan bukan belum pernah sedang lagi baru sama buat kalian anda beliau dia ia";
const EN: &str =
    "the and is are was were of to in for with this that these those you we they he she it \
    not be been being have has had do does did will would can could should may might must at by \
    from on about into over after before because if or but so than then there here what which who \
    whom whose why how all any some no yes very just also only our your their my his her its \
    government people today new please thank thanks";

struct Lexicon {
    words: HashMap<&'static str, [f32; 4]>,
}

fn lexicon() -> &'static Lexicon {
    static L: OnceLock<Lexicon> = OnceLock::new();
    L.get_or_init(|| {
        let mut words: HashMap<&'static str, [f32; 4]> = HashMap::new();
        for (i, list) in [ID, EN, JV, SU].iter().enumerate() {
            for w in list.split_whitespace() {
                words.entry(w).or_insert([0.0; 4])[i] += 1.0;
            }
        }
        Lexicon { words }
    })
}

const WHATLANG_LANGS: &[Lang] = &[
    Lang::Ind,
    Lang::Eng,
    Lang::Jav,
    Lang::Tgl,
    Lang::Spa,
    Lang::Por,
    Lang::Fra,
    Lang::Deu,
    Lang::Nld,
];

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::with_allowlist(WHATLANG_LANGS.to_vec()))
}

/// Detects the language of `text`: one of [`LANGUAGES`].
pub fn detect_language(text: &str) -> &'static str {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return "other";
    }
    let latin = text
        .chars()
        .filter(|c| {
            c.is_alphabetic() && (c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(c))
        })
        .count();
    if latin * 2 < letters {
        // Mostly another script. Javanese and Sundanese scripts count as their languages.
        return match text.chars().find(|c| c.is_alphabetic()) {
            Some(c) if ('\u{1B80}'..='\u{1BBF}').contains(&c) => "su",
            Some(c) if ('\u{A980}'..='\u{A9DF}').contains(&c) => "jv",
            _ => "other",
        };
    }
    // Function-word votes over the words of the post.
    let lex = lexicon();
    let mut votes = [0f32; 4];
    let mut words = 0usize;
    let lower = text.to_lowercase();
    for w in lower
        .split(|c: char| !(c.is_alphanumeric() || c == 'é' || c == 'è'))
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
    {
        words += 1;
        if let Some(v) = lex.words.get(w) {
            let n: f32 = v.iter().sum();
            for i in 0..4 {
                votes[i] += v[i] / n;
            }
        }
    }
    let (best, &top) = votes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("four votes");
    let second = votes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, v)| *v)
        .fold(0f32, f32::max);
    let decided = top >= 1.0 && top >= second * 1.5 + 0.5;
    // Regional languages are marked by their own words even among Indonesian ones.
    if decided || (best >= 2 && top >= 2.0 && top > second) {
        return ["id", "en", "jv", "su"][best];
    }
    let info = detector().detect(text);
    match info.map(|i| (i.lang(), i.confidence())) {
        Some((Lang::Ind, _)) => "id",
        Some((Lang::Eng, _)) => "en",
        Some((Lang::Jav, _)) => "jv",
        Some((_, c)) if c > 0.5 && words >= 4 => "other",
        _ if top > 0.0 => ["id", "en", "jv", "su"][best],
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_set_accuracy() {
        let mut n = 0;
        let mut right = 0;
        for line in TEST_SET
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (want, text) = line.split_once('\t').unwrap();
            assert!(LANGUAGES.contains(&want), "{line}");
            n += 1;
            right += usize::from(detect_language(text) == want);
        }
        assert_eq!(n, 105);
        let acc = right as f64 / n as f64;
        assert!(acc >= 0.95, "accuracy {acc}");
    }

    #[test]
    fn short_posts() {
        for (text, want) in [
            ("jalan rusak parah, pemkab kapan diperbaiki?", "id"),
            ("Saya tak faham kenapa kerajaan buat macam ni", "id"),
            ("the flood is getting worse downtown", "en"),
            ("aku ora iso mlebu kantor dina iki", "jv"),
            ("abdi teu acan dahar ti isuk", "su"),
            ("¿Dónde está la estación de tren más cercana?", "other"),
            ("这是一个测试", "other"),
            ("😂😂😂", "other"),
        ] {
            assert_eq!(detect_language(text), want, "{text}");
        }
    }
}
