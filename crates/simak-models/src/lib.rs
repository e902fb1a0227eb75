//! `simak train`, `simak eval`, `simak classify` and `simak factcheck import`: training and
//! evaluating the judgements (sentiment, the claim matcher, the office's hoax model) on
//! labelled files, and running the analyzer on JSONL. The binary parses the arguments declared
//! here and calls [`train`], [`eval`], [`classify`] or [`factcheck_import`].

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use simak_analyze::sentiment::{self, SentimentModel, LABELS};
use simak_analyze::Analyzer;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum TrainWhat {
    /// Train the sentiment model from SmSA (train split; settings chosen on the valid split),
    /// extra files of real posts and the posts written for the project.
    Sentiment(TrainSentiment),
    /// Learn from the office's review decisions: a model of P(hoax) over the hoax features,
    /// written to data_dir/models/hoax.json and used by analyzers at their next start.
    Hoax {
        /// Labels as JSONL (`text`, `label` = hoax | not_hoax), as `simak review export`
        /// writes them (default: read the review queue directly).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Where to write the model (default: data_dir/models/hoax.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fit the claim matcher (re-ranker and its two thresholds) on labelled fact-checks and
    /// their narratives: earlier months train, the next one calibrates (see `simak eval hoax
    /// --data`). Writes the model the analyzer compiles in.
    Matcher(TrainMatcher),
    /// Train the complaint model (kind and category) on posts labelled
    /// `text<TAB>kind<TAB>category<TAB>place`; epochs and L2 chosen by 5-fold
    /// cross-validation on that file alone. Writes the model the analyzer compiles in.
    Complaint(TrainComplaint),
}

#[derive(Args)]
pub struct TrainComplaint {
    /// The training posts (default: crates/simak-analyze/data/complaints/train.tsv, shipped in
    /// the binary).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Reviews and comments none of which is addressed to a regency office (`text<TAB>label`),
    /// some of which train as `other` posts.
    #[arg(long, default_value = "crates/simak-analyze/data/smsa/train.tsv")]
    outside: PathBuf,
    /// How many rows of --outside to add (chosen by a hash of the text); 0: none.
    #[arg(long, default_value_t = simak_analyze::complaint::OUTSIDE_ROWS)]
    outside_rows: usize,
    /// Where to write the model.
    #[arg(long, default_value = "crates/simak-analyze/models/complaint.bin")]
    out: PathBuf,
}

#[derive(Args)]
pub struct EvalComplaint {
    /// A model file (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Posts labelled `text<TAB>kind<TAB>category<TAB>place` (default: the frozen test set,
    /// crates/simak-analyze/data/complaints/test.tsv, shipped in the binary).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The gazetteer for the place figures.
    #[arg(long, default_value = "config/gazetteer.toml")]
    gazetteer: PathBuf,
    /// IndoLEM sentiment posts (`text<TAB>label`) for the outside false-complaint figure;
    /// skipped when the file is missing.
    #[arg(
        long,
        default_value = "../shared/data/eval/indolem_sentiment_train.tsv"
    )]
    indolem: PathBuf,
    /// List the posts whose kind is wrong.
    #[arg(long)]
    errors: bool,
}

#[derive(Args)]
pub struct TrainMatcher {
    #[command(flatten)]
    data: LabelledData,
    /// Where to write the model.
    #[arg(long, default_value = "crates/simak-analyze/models/matcher.json")]
    out: PathBuf,
    /// L2 regularization of the logistic model.
    #[arg(long, default_value_t = 1.0)]
    l2: f64,
    /// Leave a feature out (held at 0, so its weight is 0): an ablation, to measure what the
    /// feature adds with everything else the same. Repeatable.
    #[arg(long, value_name = "FEATURE")]
    without: Vec<String>,
}

/// A labelled claim-matching set and its negatives, split in time.
#[derive(Args)]
pub struct LabelledData {
    /// Fact-checks with the narratives that spread them, JSONL (`id`, `date`, `claim`,
    /// `narrative`): every claim goes into the knowledge base, the narratives are the queries.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Ordinary posts as NAME=FILE[,FILE...] (TSV `text<TAB>label`, or JSONL with `text`);
    /// repeatable. None of them should be flagged.
    #[arg(long = "negatives", value_name = "NAME=FILES")]
    negatives: Vec<String>,
    /// Fact-checks judged to debunk the same hoax: a pair of ids a line (`#` comments). A
    /// narrative of one is then no hard negative against the other (default: the judged pairs
    /// shipped for TurnBackHoax 2024 H1, used when every id they name is in --data).
    #[arg(long, value_name = "FILE")]
    same_hoax: Option<PathBuf>,
    /// Last training month (YYYY-MM; default: the first half of the months).
    #[arg(long)]
    train_until: Option<String>,
    /// Last calibration month (YYYY-MM; default: the month after training).
    #[arg(long)]
    calibrate_until: Option<String>,
}

#[derive(Args)]
pub struct TrainSentiment {
    /// Directory with SmSA's train.tsv and valid.tsv (`text<TAB>label`).
    #[arg(long, default_value = "crates/simak-analyze/data/smsa")]
    data: PathBuf,
    /// An extra `text<TAB>label` file of real posts (3-class, or positive/negative only),
    /// e.g. ../shared/data/eval/indolem_sentiment_train.tsv; repeatable. Each row goes by a
    /// hash of its text to train (64%), valid (16%, chooses settings) or test (20%, held out:
    /// `simak eval sentiment --data FILE --split test`).
    #[arg(long)]
    extra: Vec<PathBuf>,
    /// Posts written for the project (default: the set shipped in the binary,
    /// crates/simak-analyze/data/posts/written.tsv): the rows of the train part (by a hash of
    /// the text) train, the others choose settings, and all train the refit.
    #[arg(long)]
    written: Option<PathBuf>,
    /// Leave out the posts written for the project.
    #[arg(long, conflicts_with = "written")]
    no_written: bool,
    /// Also write the training rows (train.tsv) and each extra file's valid and test parts
    /// (NAME.valid.tsv, NAME.test.tsv) to this directory, e.g. for the scikit-learn baseline
    /// (crates/simak-bench/scripts/sentiment_baseline.py).
    #[arg(long)]
    splits_out: Option<PathBuf>,
    /// Ship the model chosen on the valid parts as it is, instead of training it again with
    /// the chosen settings on train + valid (the test parts are held out either way).
    #[arg(long)]
    no_refit: bool,
    /// Also train the refit on the extra files' test parts (after the settings are chosen on
    /// the valid parts). The shipped model is made so, to learn from every labelled tweet;
    /// `--split test` then no longer measures it, so the held-out figures come from a model
    /// made without this flag. SmSA test and the written test set stay out either way.
    #[arg(long, conflicts_with = "no_refit")]
    refit_with_test: bool,
    /// Where to write the model.
    #[arg(long, default_value = "crates/simak-analyze/models/sentiment.bin")]
    out: PathBuf,
}

#[derive(Subcommand)]
pub enum EvalWhat {
    /// Macro-F1, per-class precision/recall/F1 and the confusion matrix of the sentiment model
    /// on SmSA test or on any `text<TAB>label` file (3-class, or positive/negative only).
    Sentiment(EvalSentiment),
    /// Accuracy and the confusion matrix of language detection on Simak's test set.
    Lang {
        /// A `lang<TAB>text` file (default: the test set shipped in the binary).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Precision, recall and F1 of hoax flagging, and claim-matching recall@1, on the hoax test
    /// set (the held-out half unless told otherwise).
    Hoax(EvalHoax),
    /// Per-kind precision/recall/F1, macro-F1, complaint-or-request F1, category accuracy
    /// and the confusion matrix of the complaint model on the frozen test set (or --data),
    /// beside a keyword baseline; and the share of SmSA test and IndoLEM posts called a
    /// complaint or request.
    Complaint(EvalComplaint),
}

#[derive(Args)]
pub struct EvalHoax {
    /// Fact-checks as JSONL (default: the test set shipped in the binary).
    #[arg(long, requires = "posts")]
    factchecks: Option<PathBuf>,
    /// Posts as `kind<TAB>fact-check id<TAB>text`, kind one of known, short, novel, none.
    #[arg(long, requires = "factchecks")]
    posts: Option<PathBuf>,
    /// dev, test or all.
    #[arg(long, default_value = "test")]
    split: String,
    /// Choose the thresholds on the dev half and print the sweep.
    #[arg(long)]
    calibrate: bool,
    /// List the posts scored wrongly.
    #[arg(long)]
    errors: bool,
    #[command(flatten)]
    labelled: LabelledData,
    /// With --data: the part to report (train, calibrate or report).
    #[arg(long, default_value = "report")]
    part: String,
    /// With --data: also score this matcher file (as `simak train matcher` writes it) with its
    /// own thresholds, beside the shipped one.
    #[arg(long, requires = "data")]
    matcher: Option<PathBuf>,
    /// With --data: write every candidate of every post with its matcher features (TSV) to
    /// this file and stop.
    #[arg(long, requires = "data")]
    dump_candidates: Option<PathBuf>,
}

#[derive(Args)]
pub struct EvalSentiment {
    /// A model file (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// A `text<TAB>label` file (default: SmSA test, shipped in the binary). A file with no
    /// neutral label is scored as binary (positive/negative).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Only the rows of this part of the file, as `simak train sentiment --extra` splits it:
    /// train, valid, test or all.
    #[arg(long, default_value = "all")]
    split: String,
    /// List up to this many texts labelled wrongly.
    #[arg(long, default_value_t = 0)]
    errors: usize,
}

pub async fn train(cfg: &simak_core::Config, what: TrainWhat) -> Result<ExitCode> {
    match what {
        TrainWhat::Sentiment(a) => train_sentiment(a),
        TrainWhat::Hoax { labels, out } => train_hoax(cfg, labels, out).await,
        TrainWhat::Matcher(m) => train_matcher(m),
        TrainWhat::Complaint(a) => train_complaint(a),
    }
}

fn file_stem(p: &std::path::Path) -> String {
    p.file_stem()
        .map_or("extra".to_string(), |s| s.to_string_lossy().into_owned())
}

fn write_tsv(path: &std::path::Path, rows: &[sentiment::Example]) -> Result<()> {
    let mut s = String::new();
    for (t, l) in rows {
        // One row per line: a tab or newline inside a text would break the format.
        let t = t.replace(['\t', '\n', '\r'], " ");
        s.push_str(&format!("{t}\t{}\n", LABELS[*l]));
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn train_complaint(a: TrainComplaint) -> Result<ExitCode> {
    use simak_analyze::complaint;
    let text = match &a.data {
        Some(p) => std::fs::read_to_string(p).with_context(|| p.display().to_string())?,
        None => complaint::TRAIN.to_string(),
    };
    let mut rows = complaint::parse_tsv(&text).map_err(anyhow::Error::msg)?;
    eprint!("{} training posts", rows.len());
    if a.outside_rows > 0 {
        let t =
            std::fs::read_to_string(&a.outside).with_context(|| a.outside.display().to_string())?;
        let extra = complaint::outside_rows(&t, a.outside_rows);
        eprint!(" + {} from {} as other", extra.len(), a.outside.display());
        rows.extend(extra);
    }
    eprintln!();
    let t0 = Instant::now();
    let (model, chosen, tried) = complaint::train_with_selection(&rows);
    for t in &tried {
        eprintln!(
            "  {:<8} features {}  epochs {:>3}  l2 {:<7}  5-fold {} {:.3}",
            t.head,
            t.groups,
            t.cfg.epochs,
            t.cfg.l2,
            if t.head == "kind" {
                "macro-F1"
            } else {
                "accuracy"
            },
            t.score
        );
    }
    let bytes = model.to_bytes();
    std::fs::write(&a.out, &bytes).with_context(|| a.out.display().to_string())?;
    eprintln!(
        "chose kind: epochs {} l2 {} ({:.3}); category: features {} epochs {} l2 {} ({:.3})",
        chosen.kind.cfg.epochs,
        chosen.kind.cfg.l2,
        chosen.kind.score,
        chosen.category.groups,
        chosen.category.cfg.epochs,
        chosen.category.cfg.l2,
        chosen.category.score
    );
    eprintln!(
        "trained in {:.1} s; wrote {} ({} KiB)",
        t0.elapsed().as_secs_f64(),
        a.out.display(),
        bytes.len() / 1024
    );
    Ok(ExitCode::SUCCESS)
}

fn eval_complaint(a: EvalComplaint) -> Result<()> {
    use simak_analyze::complaint::{self, ComplaintModel, Gazetteer};
    use simak_core::ComplaintKind;
    let model = match &a.model {
        Some(p) => ComplaintModel::load(p).map_err(anyhow::Error::msg)?,
        None => ComplaintModel::shipped().clone(),
    };
    let (name, text) = match &a.data {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| p.display().to_string())?,
        ),
        None => (
            "frozen test set (data/complaints/test.tsv)".to_string(),
            complaint::TEST.to_string(),
        ),
    };
    let rows = complaint::parse_tsv(&text).map_err(anyhow::Error::msg)?;
    let t0 = Instant::now();
    let m = complaint::evaluate(&rows, |t| {
        let r = model.read(t);
        (r.kind, r.best_category)
    });
    let per_post = t0.elapsed().as_secs_f64() / rows.len().max(1) as f64;
    let b = complaint::evaluate(&rows, complaint::baseline);
    println!("{name}: {} posts", rows.len());
    println!(
        "{:<12} {:>24}   {:>24}",
        "", "model P / R / F1", "keyword baseline P / R / F1"
    );
    for (i, k) in ComplaintKind::ALL.iter().enumerate() {
        let (x, y) = (m.kinds[i], b.kinds[i]);
        println!(
            "{:<12} {:.3} / {:.3} / {:.3} ({:>3})   {:.3} / {:.3} / {:.3}",
            k.as_str(),
            x.precision,
            x.recall,
            x.f1,
            x.support,
            y.precision,
            y.recall,
            y.f1
        );
    }
    println!(
        "macro-F1 (5 kinds)          {:.3}   baseline {:.3}",
        m.macro_f1, b.macro_f1
    );
    println!(
        "complaint-or-request vs not  P {:.3} R {:.3} F1 {:.3}   baseline F1 {:.3}",
        m.binary.precision, m.binary.recall, m.binary.f1, b.binary.f1
    );
    println!(
        "category accuracy (gold kind) {:.3} ({}/{})   baseline {:.3}",
        m.category_accuracy(),
        m.category_correct,
        m.category_rows,
        b.category_accuracy()
    );
    println!(
        "category right and kind category-bearing: {}/{}   baseline {}/{}",
        m.category_end_to_end, m.category_rows, b.category_end_to_end, b.category_rows
    );
    println!("confusion (rows gold, columns predicted: complaint request question praise other)");
    for (i, k) in ComplaintKind::ALL.iter().enumerate() {
        println!("  {:<10} {:?}", k.as_str(), m.confusion[i]);
    }
    match Gazetteer::load(&a.gazetteer) {
        Ok(g) if !g.is_empty() => {
            let right = rows
                .iter()
                .filter(|r| g.find(&r.text).map(|p| p.name) == r.place)
                .count();
            let named = rows.iter().filter(|r| r.place.is_some()).count();
            println!(
                "place (gazetteer {}): {right}/{} posts right ({named} name a place)",
                a.gazetteer.display(),
                rows.len()
            );
        }
        Ok(_) => println!("place: no gazetteer at {}", a.gazetteer.display()),
        Err(e) => println!("place: {e}"),
    }
    println!(
        "{:.2} ms a post (features and both heads)",
        per_post * 1000.0
    );
    // Outside figures: posts that are not complaints to an office.
    let smsa = sentiment::parse_tsv(sentiment::SMSA_TEST).map_err(anyhow::Error::msg)?;
    let outside = |label: &str, texts: Vec<&str>| {
        let (h, n) = complaint::actionable_share(texts.iter().copied(), |t| model.read(t).kind);
        let (bh, _) =
            complaint::actionable_share(texts.iter().copied(), |t| complaint::baseline(t).0);
        println!(
            "{label}: {h}/{n} ({:.1}%) called complaint or request   baseline {bh}/{n} ({:.1}%)",
            100.0 * h as f64 / n.max(1) as f64,
            100.0 * bh as f64 / n.max(1) as f64
        );
    };
    println!("outside (reviews and tweets, none addressed to a regency office; a complaint about a restaurant or a phone counts as called):");
    outside(
        "  SmSA test, all",
        smsa.iter().map(|(t, _)| t.as_str()).collect(),
    );
    outside(
        "  SmSA test, positive and neutral",
        smsa.iter()
            .filter(|(_, l)| *l != 0)
            .map(|(t, _)| t.as_str())
            .collect(),
    );
    match std::fs::read_to_string(&a.indolem) {
        Ok(t) => {
            let rows = sentiment::parse_tsv(&t).map_err(anyhow::Error::msg)?;
            outside(
                "  IndoLEM sentiment (train + dev)",
                rows.iter().map(|(t, _)| t.as_str()).collect(),
            );
        }
        Err(_) => println!("  IndoLEM: {} not found, skipped", a.indolem.display()),
    }
    if a.errors {
        for r in &rows {
            let got = model.read(&r.text);
            if got.kind != r.kind {
                println!("{} -> {}\t{}", r.kind.as_str(), got.kind.as_str(), r.text);
            }
        }
    }
    Ok(())
}

fn train_sentiment(a: TrainSentiment) -> Result<ExitCode> {
    use sentiment::{in_split, Corpus, Split};
    let read = |p: &std::path::Path| sentiment::read_tsv(p).map_err(anyhow::Error::msg);
    let mut train = vec![Corpus::new("smsa", read(&a.data.join("train.tsv"))?, false)];
    let mut valid = vec![Corpus::new("smsa", read(&a.data.join("valid.tsv"))?, false)];
    let mut held_out = Vec::new();
    for p in &a.extra {
        let rows = read(p)?;
        let name = file_stem(p);
        let (tr, va, te) = (
            in_split(&rows, Split::Train),
            in_split(&rows, Split::Valid),
            in_split(&rows, Split::Test),
        );
        eprintln!(
            "{}: {} rows ({}), {} train / {} valid / {} test (held out)",
            p.display(),
            rows.len(),
            if sentiment::is_binary(&rows) {
                "positive/negative only"
            } else {
                "3-class"
            },
            tr.len(),
            va.len(),
            te.len()
        );
        train.push(Corpus::new(&name, tr, true));
        valid.push(Corpus::new(&name, va, true));
        held_out.push((name, te));
    }
    if !a.no_written {
        let rows = match &a.written {
            Some(p) => read(p)?,
            None => sentiment::parse_tsv(sentiment::WRITTEN_POSTS).map_err(anyhow::Error::msg)?,
        };
        // The written posts are split like an extra file, but only in two: the rows of the
        // valid and test parts both choose settings (the written test set, data/posts/test3.tsv,
        // is a separate file that nothing here reads).
        let (tr, va): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|(t, _)| sentiment::split_of(t) == Split::Train);
        eprintln!(
            "written for the project: {} rows, {} train / {} valid",
            tr.len() + va.len(),
            tr.len(),
            va.len()
        );
        train.push(Corpus::written("written", tr));
        valid.push(Corpus::written("written", va));
    }
    if let Some(dir) = &a.splits_out {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let all: Vec<sentiment::Example> =
            train.iter().flat_map(|c| c.rows.iter().cloned()).collect();
        write_tsv(&dir.join("train.tsv"), &all)?;
        for c in &valid[1..] {
            write_tsv(&dir.join(format!("{}.valid.tsv", c.name)), &c.rows)?;
        }
        write_tsv(&dir.join("smsa.valid.tsv"), &valid[0].rows)?;
        for (name, rows) in &held_out {
            write_tsv(&dir.join(format!("{name}.test.tsv")), rows)?;
        }
        eprintln!("wrote the splits to {}", dir.display());
    }
    let n: usize = train.iter().map(|c| c.rows.len()).sum();
    eprintln!(
        "training on {n} examples, choosing settings on {} ...",
        valid
            .iter()
            .map(|c| format!("{} valid ({})", c.name, c.rows.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let t0 = Instant::now();
    let (model, cfg, tried) =
        sentiment::train_with_selection(&train, &valid, sentiment::TrainConfig::default().seed);
    let names: Vec<&str> = valid.iter().map(|c| c.name.as_str()).collect();
    for t in &tried {
        let c = &t.cfg;
        let per: Vec<String> = names
            .iter()
            .zip(&t.valid)
            .map(|(n, v)| format!("{n} {v:.4}"))
            .collect();
        eprintln!(
            "  chars {:<4} bigrams {:<3} stems {:<3} shape {:<5} epochs {:>2} l2 {:<7} class power {:<3} posts weight {:<3} written weight {:<3} neutral push {:<3} shift {:<4}  valid {}  mean {:.4}",
            c.groups.chars, c.groups.bigram, c.groups.stem, c.groups.shape, c.epochs, c.l2,
            c.class_power, c.posts_weight, c.written_weight, c.neutral_push, c.neutral_shift,
            per.join("  "), t.score
        );
    }
    let model = if a.no_refit {
        model
    } else {
        // The chosen settings, trained again on train + valid: more data, nothing held out
        // from the test parts.
        let mut all = train.clone();
        for v in &valid {
            match all.iter_mut().find(|c| c.name == v.name) {
                Some(c) => c.rows.extend(v.rows.iter().cloned()),
                None => all.push(v.clone()),
            }
        }
        if a.refit_with_test {
            for (name, rows) in &held_out {
                if let Some(c) = all.iter_mut().find(|c| &c.name == name) {
                    c.rows.extend(rows.iter().cloned());
                }
            }
        }
        let n: usize = all.iter().map(|c| c.rows.len()).sum();
        eprintln!(
            "training the chosen settings again on train + valid{} ({n} examples) ...",
            if a.refit_with_test {
                " + the extra files' test parts"
            } else {
                ""
            }
        );
        sentiment::train_corpora(&all, &cfg)
    };
    let bytes = model.to_bytes();
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    let best = tried
        .iter()
        .find(|t| t.cfg == cfg)
        .expect("the chosen setting was tried");
    eprintln!(
        "chose chars {} bigrams {} stems {} shape {} epochs {} lr {} l2 {} class power {} posts weight {} written weight {} neutral push {} neutral shift {} (valid {}, mean {:.4}); wrote {}{} ({:.2} MB) in {:.1}s",
        cfg.groups.chars,
        cfg.groups.bigram,
        cfg.groups.stem,
        cfg.groups.shape,
        cfg.epochs,
        cfg.lr,
        cfg.l2,
        cfg.class_power,
        cfg.posts_weight,
        cfg.written_weight,
        cfg.neutral_push,
        cfg.neutral_shift,
        names
            .iter()
            .zip(&best.valid)
            .map(|(n, v)| format!("{n} {v:.4}"))
            .collect::<Vec<_>>()
            .join(", "),
        best.score,
        a.out.display(),
        if a.no_refit {
            ""
        } else if a.refit_with_test {
            " (trained on train + valid + the extra files' test parts)"
        } else {
            " (trained on train + valid)"
        },
        bytes.len() as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn print_confusion(labels: &[&str], confusion: &[Vec<u32>]) {
    print!("{:>10}", "true\\pred");
    for l in labels {
        print!("{l:>10}");
    }
    println!();
    for (i, row) in confusion.iter().enumerate() {
        print!("{:>10}", labels[i]);
        for v in row {
            print!("{v:>10}");
        }
        println!();
    }
}

pub fn eval(what: EvalWhat) -> Result<ExitCode> {
    match what {
        EvalWhat::Sentiment(a) => eval_sentiment(a)?,
        EvalWhat::Hoax(a) => eval_hoax(a)?,
        EvalWhat::Complaint(a) => eval_complaint(a)?,
        EvalWhat::Lang { data } => {
            let text = match &data {
                Some(p) => std::fs::read_to_string(p).with_context(|| p.display().to_string())?,
                None => simak_text::lang::TEST_SET.to_string(),
            };
            let langs = simak_text::lang::LANGUAGES;
            let mut confusion = vec![vec![0u32; langs.len()]; langs.len()];
            let mut n = 0;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let (want, t) = line
                    .split_once('\t')
                    .with_context(|| format!("line {}: expected lang<TAB>text", i + 1))?;
                let w = langs
                    .iter()
                    .position(|l| *l == want)
                    .with_context(|| format!("line {}: unknown language {want:?}", i + 1))?;
                let got = simak_text::detect_language(t);
                let g = langs.iter().position(|l| *l == got).expect("known code");
                confusion[w][g] += 1;
                n += 1;
            }
            let correct: u32 = (0..langs.len()).map(|i| confusion[i][i]).sum();
            println!(
                "language detection on {} ({n} posts)\naccuracy  {:.4}",
                data.as_ref()
                    .map_or("Simak's short-post test set".to_string(), |p| p
                        .display()
                        .to_string()),
                f64::from(correct) / f64::from(n.max(1))
            );
            print_confusion(langs, &confusion);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_scores(e: &sentiment::Evaluation) {
    println!("accuracy  {:.4}\nmacro-F1  {:.4}", e.accuracy, e.macro_f1);
    for (c, (p, r, f)) in e.classes.iter().zip(&e.per_class) {
        println!(
            "{:>10}  precision {p:.4}  recall {r:.4}  F1 {f:.4}",
            LABELS[*c]
        );
    }
}

fn eval_sentiment(a: EvalSentiment) -> Result<()> {
    use sentiment::Split;
    let t0 = Instant::now();
    let model = match &a.model {
        Some(p) => SentimentModel::load(p).map_err(anyhow::Error::msg)?,
        None => SentimentModel::shipped().clone(),
    };
    let load_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut examples = match &a.data {
        Some(p) => sentiment::read_tsv(p).map_err(anyhow::Error::msg)?,
        None => sentiment::parse_tsv(sentiment::SMSA_TEST).map_err(anyhow::Error::msg)?,
    };
    let split = match a.split.as_str() {
        "all" => None,
        "train" => Some(Split::Train),
        "valid" => Some(Split::Valid),
        "test" => Some(Split::Test),
        s => anyhow::bail!("--split: want train, valid, test or all, got {s:?}"),
    };
    if let Some(s) = split {
        examples = sentiment::in_split(&examples, s);
    }
    if examples.is_empty() {
        anyhow::bail!("no labelled rows to evaluate on");
    }
    let binary = sentiment::is_binary(&examples);
    println!(
        "sentiment on {}{} ({} examples, {}; model loaded in {load_ms:.1} ms)",
        a.data
            .as_ref()
            .map_or("SmSA test".to_string(), |p| p.display().to_string()),
        split.map_or(String::new(), |_| format!(", {} part", a.split)),
        examples.len(),
        if binary {
            "labels positive/negative only"
        } else {
            "3 classes"
        }
    );
    let probs = |t: &str| model.predict(t).scores;
    if binary {
        let e = sentiment::evaluate_binary(&examples, probs);
        println!("\nbinary: the more likely of negative and positive");
        print_scores(&e.polar);
        let c = &e.polar.confusion;
        print_confusion(
            &["negative", "positive"],
            &[vec![c[0][0], c[0][2]], vec![c[2][0], c[2][2]]],
        );
        println!(
            "\n3-class argmax, neutral counted as wrong ({} of {} called neutral, {:.1}%)",
            e.strict.confusion[0][1] + e.strict.confusion[2][1],
            examples.len(),
            100.0 * e.neutral_share()
        );
        print_scores(&e.strict);
        let c = &e.strict.confusion;
        print!("{:>10}", "true\\pred");
        for l in LABELS {
            print!("{l:>10}");
        }
        println!();
        for i in [0, 2] {
            print!("{:>10}", LABELS[i]);
            for v in c[i] {
                print!("{v:>10}");
            }
            println!();
        }
    } else {
        let e = sentiment::evaluate(&examples, probs);
        print_scores(&e);
        let rows: Vec<Vec<u32>> = e.confusion.iter().map(|r| r.to_vec()).collect();
        print_confusion(&LABELS, &rows);
    }
    if a.errors > 0 {
        println!("\nlabelled wrongly (true -> predicted):");
        let wrong = examples.iter().filter_map(|(t, y)| {
            let p = model.predict(t);
            // As in the binary scores: the more likely polarity, positive on a tie.
            let got = if binary {
                if p.scores[2] >= p.scores[0] {
                    2
                } else {
                    0
                }
            } else {
                p.label
            };
            (got != *y).then_some((t, *y, got))
        });
        for (t, y, got) in wrong.take(a.errors) {
            println!("  {} -> {}: {t}", LABELS[y], LABELS[got]);
        }
    }
    Ok(())
}

/// The analyzer a command outside the pipeline uses (`classify`, `train hoax`): the configured
/// profiles and office model, and the fact-checks of the log. Where no embedded log exists yet
/// there are no fact-checks, and the command must not create a log.
async fn offline_analyzer(cfg: &simak_core::Config) -> Result<Analyzer> {
    if cfg.bus.is_kafka() || cfg.log_path().exists() {
        let bus = simak_bus::Bus::open(cfg)?;
        return Ok(Analyzer::from_config(cfg, &bus).await?.0);
    }
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
    let gazetteer = simak_analyze::complaint::Gazetteer::load(&cfg.analyzer.gazetteer)
        .map_err(anyhow::Error::msg)?;
    let a = Analyzer::new()
        .with_profiles(profiles)
        .with_gazetteer(gazetteer);
    Ok(match simak_analyze::office_model(cfg) {
        Some(m) => a.with_office_model(m),
        None => a,
    })
}

/// Reads JSONL on stdin, writes each object with `lang` and `sentiment` added, in order; a bad
/// line gives `{"error": {"line": N, "message": ...}}` and processing goes on.
pub async fn classify(cfg: &simak_core::Config) -> Result<ExitCode> {
    let analyzer = offline_analyzer(cfg).await?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = 0u64;
    for (i, line) in stdin.split(b'\n').enumerate() {
        let line = line.context("reading standard input")?;
        let result = std::str::from_utf8(&line)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .map_err(|e| format!("not valid JSON: {e}"))
            })
            .and_then(|v| match v {
                serde_json::Value::Object(mut o) => analyzer.enrich_json(&mut o).map(|_| o),
                _ => Err("expected a JSON object".to_string()),
            });
        match result {
            Ok(o) => serde_json::to_writer(&mut out, &o)?,
            Err(message) => {
                failed += 1;
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({"error": {"line": i + 1, "message": message}}),
                )?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("{failed} lines could not be classified");
    }
    Ok(ExitCode::SUCCESS)
}

/// `simak factcheck import FILE.jsonl`: adds or replaces fact-checks (by id) in the knowledge
/// base. Each line needs `id` and `claim`; a bad line is reported with its number and skipped.
pub async fn factcheck_import(cfg: &simak_core::Config, file: &str) -> Result<ExitCode> {
    use simak_analyze::factcheck::{sync_store, FactCheck, FactCheckStore};
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot open {file}"))?,
        ))
    };
    let mut good = Vec::new();
    let mut bad = 0;
    for (i, line) in reader.lines().enumerate() {
        let line = line.context("reading the file")?;
        if line.trim().is_empty() {
            continue;
        }
        match FactCheck::parse(line.as_bytes()) {
            Ok(fc) => good.push(fc),
            Err(e) => {
                bad += 1;
                eprintln!("{file}:{}: {e}", i + 1);
            }
        }
    }
    let bus = simak_bus::Bus::open(cfg)?;
    let topic = &cfg.bus.topics.factchecks;
    bus.ensure_topic(topic).await?;
    let producer = bus.producer(topic)?;
    for chunk in good.chunks(1000) {
        producer
            .send(chunk.iter().map(FactCheck::to_record).collect())
            .await?;
    }
    eprintln!(
        "imported {} fact-checks into the log ({topic}); {bad} lines rejected; running analyzers apply them within a second",
        good.len()
    );
    // The searchable store follows the stream; the indexer keeps it up to date while it runs.
    let store = FactCheckStore::open(&cfg.factcheck_path())?;
    match sync_store(&store, &bus, topic).await {
        Ok(n) => eprintln!(
            "fact-check store {} brought up to date ({n} applied)",
            cfg.factcheck_path().display()
        ),
        Err(e) => eprintln!("fact-check store not updated now ({e}); the running indexer will"),
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn parse_ym(s: &str) -> Result<u32> {
    simak_analyze::claim_eval::parse_month(&format!("{s}-01"))
        .with_context(|| format!("want a month as YYYY-MM, got {s:?}"))
}

/// Loads a labelled set, its negatives and its time split.
fn load_labelled(d: &LabelledData) -> Result<(simak_analyze::claim_eval::EvalData, String)> {
    use simak_analyze::claim_eval::{self, month_name, EvalData, Plan};
    let path = d.data.as_ref().context("--data FILE is required")?;
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let mut rows =
        claim_eval::parse_rows(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let same = match &d.same_hoax {
        Some(p) => {
            let t = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            claim_eval::add_same_hoax(&mut rows, &t)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => claim_eval::add_same_hoax(&mut rows, SAME_HOAX_TBH_2024H1).unwrap_or(0),
    };
    let auto = Plan::auto(&rows).map_err(anyhow::Error::msg)?;
    let train_until = match &d.train_until {
        Some(s) => parse_ym(s)?,
        None => auto.train_until,
    };
    let calibrate_until = match &d.calibrate_until {
        Some(s) => parse_ym(s)?,
        None if d.train_until.is_some() => train_until + 1,
        None => auto.calibrate_until,
    };
    anyhow::ensure!(
        calibrate_until > train_until,
        "the calibration months must come after the training months"
    );
    let plan = Plan {
        train_until,
        calibrate_until,
    };
    let mut ordinary = Vec::new();
    for spec in &d.negatives {
        let (name, files) = spec
            .split_once('=')
            .with_context(|| format!("--negatives: want NAME=FILE[,FILE...], got {spec:?}"))?;
        let mut texts = Vec::new();
        for f in files.split(',') {
            let t = std::fs::read_to_string(f).with_context(|| f.to_string())?;
            texts.extend(claim_eval::read_posts(&t));
        }
        ordinary.push((name.to_string(), texts));
    }
    let t0 = Instant::now();
    let data = EvalData::build(&rows, ordinary, plan);
    let first = rows.iter().map(|r| r.month).min().unwrap_or(0);
    let last = rows.iter().map(|r| r.month).max().unwrap_or(0);
    let desc = format!(
        "{}: {} fact-checks (knowledge base: claims only), {} narratives; train {}..{}, calibrate ..{}, report ..{}; {} entities named by claims; {same} judged same-hoax pairs (built in {:.1} s)",
        path.display(),
        data.kb.len(),
        data.queries.len(),
        month_name(first),
        month_name(plan.train_until),
        month_name(plan.calibrate_until),
        month_name(last),
        data.entities,
        t0.elapsed().as_secs_f64()
    );
    Ok((data, desc))
}

fn train_matcher(a: TrainMatcher) -> Result<ExitCode> {
    use simak_analyze::claim_eval::{self, Part, Targets};
    use simak_analyze::factcheck::Ranker;
    use simak_analyze::matcher::MatcherModel;
    let (data, desc) = load_labelled(&a.data)?;
    eprintln!("{desc}");
    let t0 = Instant::now();
    // Cross-fitting: one matcher per fold (the training months, the calibration months), each
    // scoring the other fold's negatives for the thresholds; the shipped one is fitted on both.
    let mut off = Vec::new();
    for f in &a.without {
        match simak_analyze::matcher::FEATURES.iter().position(|x| x == f) {
            Some(0) | None => anyhow::bail!(
                "--without {f:?}: no such feature to leave out (there are {})",
                simak_analyze::matcher::FEATURES[1..].join(", ")
            ),
            Some(i) => off.push(i),
        }
    }
    let without = |mut p: Vec<([f32; simak_analyze::matcher::NFM], bool)>| {
        for (x, _) in &mut p {
            for &i in &off {
                x[i] = 0.0;
            }
        }
        p
    };
    let fold_a = without(data.training_pairs(Part::Train));
    let fold_b = without(data.training_pairs(Part::Calibrate));
    let count = |p: &[([f32; simak_analyze::matcher::NFM], bool)]| p.iter().filter(|x| x.1).count();
    for (name, p) in [("training", &fold_a), ("calibration", &fold_b)] {
        let pos = count(p);
        anyhow::ensure!(
            pos >= 10 && p.len() - pos >= 10,
            "too few pairs in the {name} months: {pos} positive of {}",
            p.len()
        );
    }
    let model_a = MatcherModel::fit(&fold_a, a.l2, String::new());
    let model_b = MatcherModel::fit(&fold_b, a.l2, String::new());
    let pairs: Vec<_> = fold_a.iter().chain(&fold_b).copied().collect();
    let pos = count(&pairs);
    let file = a
        .data
        .data
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    let negs: Vec<String> = a
        .data
        .negatives
        .iter()
        .map(|s| s.split('=').next().unwrap_or("").to_string())
        .collect();
    // The months, when given, belong to the command that rebuilds the model.
    let months = [
        ("--train-until", &a.data.train_until),
        ("--calibrate-until", &a.data.calibrate_until),
    ]
    .iter()
    .filter_map(|(flag, v)| v.as_ref().map(|v| format!(" {flag} {v}")))
    .chain(a.without.iter().map(|f| format!(" --without {f}")))
    .collect::<String>();
    let mut model = MatcherModel::fit(
        &pairs,
        a.l2,
        format!(
            "{file}: the narratives of the months up to {} against every claim of the file (titles only), {pos} positive and {} negative candidate pairs (hard negatives: other fact-checks' narratives with their own fact-check left out; ordinary posts: {}); thresholds chosen by target false-flag rates on the negatives of the same months, each fold (up to {}, then up to {}) scored by a matcher fitted on the other fold only; `simak train matcher --data {file}{}`",
            claim_eval::month_name(data.plan.calibrate_until),
            pairs.len() - pos,
            negs.join(", "),
            claim_eval::month_name(data.plan.train_until),
            claim_eval::month_name(data.plan.calibrate_until),
            negs.iter().map(|n| format!(" --negatives {n}=...")).collect::<String>()
                + &months
        ),
    );
    eprintln!(
        "fitted on {} pairs ({pos} positive) in {:.1} s",
        pairs.len(),
        t0.elapsed().as_secs_f64()
    );
    let targets = Targets::default();
    let (th, lines) = claim_eval::calibrate_folds(
        &data,
        &[
            (Part::Calibrate, Ranker::Learned(&model_a)),
            (Part::Train, Ranker::Learned(&model_b)),
        ],
        &targets,
    );
    model.alert = th.known;
    model.suggest = th.suggest;
    model.calibration = lines;
    for l in &model.calibration {
        eprintln!("  {l}");
    }
    for (f, w) in model.features.iter().zip(&model.weights) {
        eprintln!("  {f:<24} {w:>8.3}");
    }
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&model)? + "\n")
        .with_context(|| a.out.display().to_string())?;
    println!(
        "matcher written to {}: alert at {:.3}, suggest at {:.3} (rebuild to ship it)",
        a.out.display(),
        model.alert,
        model.suggest
    );
    Ok(ExitCode::SUCCESS)
}

/// The last month a matcher was fitted on, as its `fitted_on` says ("the months up to YYYY-MM").
fn fitted_until(fitted_on: &str) -> Option<u32> {
    let at = fitted_on.find("months up to ")? + "months up to ".len();
    let ym = fitted_on.get(at..at + 7)?;
    simak_analyze::claim_eval::parse_month(&format!("{ym}-01"))
}

fn eval_claims(a: &EvalHoax) -> Result<()> {
    use simak_analyze::claim_eval::{self, Part, Targets};
    use simak_analyze::factcheck::Ranker;
    use simak_analyze::hoax::Thresholds;
    use simak_analyze::matcher::MatcherModel;
    let part = Part::parse(&a.part)
        .with_context(|| format!("--part: want train, calibrate or report, got {:?}", a.part))?;
    let (data, desc) = load_labelled(&a.labelled)?;
    println!("{desc}");
    if let Some(path) = &a.dump_candidates {
        let f = std::fs::File::create(path).with_context(|| path.display().to_string())?;
        let mut w = std::io::BufWriter::new(f);
        data.dump_candidates(32, &mut w)?;
        std::io::Write::flush(&mut w)?;
        // Posts per set and part (a post with no candidate has no line in the dump).
        let count = |posts: &[simak_analyze::claim_eval::Post]| {
            let n = |p: Part| posts.iter().filter(|x| x.part == p).count();
            serde_json::json!({"train": n(Part::Train), "calibrate": n(Part::Calibrate), "report": n(Part::Report)})
        };
        let mut counts = serde_json::Map::new();
        counts.insert("query".into(), count(&data.queries));
        for set in &data.negatives {
            counts.insert(set.name.clone(), count(&set.posts));
        }
        let cpath = path.with_extension("counts.json");
        std::fs::write(&cpath, serde_json::Value::Object(counts).to_string())?;
        println!("candidates written to {}", path.display());
        return Ok(());
    }
    for set in &data.negatives {
        println!(
            "  negatives {:<50} {:>6} posts ({} in this part)",
            set.name,
            set.posts.len(),
            set.posts.iter().filter(|p| p.part == part).count()
        );
    }
    let targets = Targets::default();
    let shipped = MatcherModel::shipped();
    // A matcher fitted on the months reported here would be scored on what it learned from.
    if let Some(until) = fitted_until(&shipped.fitted_on) {
        if part != Part::Train && until > data.plan.train_until {
            let whose = if part == Part::Report && until > data.plan.calibrate_until {
                "the reported months"
            } else {
                "the calibration months"
            };
            println!(
                "note: the shipped matcher was fitted on the months up to {}, {whose} included: its row is no held-out figure. For one, train a matcher on the months before them (`simak train matcher --out FILE` with this file and the default months) and pass it with --matcher FILE.",
                claim_eval::month_name(until)
            );
        }
    }
    // The baseline's thresholds from the same months as the shipped matcher's: training and
    // calibration (it has nothing to fit).
    let (tfidf_th, _) = claim_eval::calibrate_folds(
        &data,
        &[
            (Part::Train, Ranker::CharTfIdf),
            (Part::Calibrate, Ranker::CharTfIdf),
        ],
        &targets,
    );
    let other = match &a.matcher {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
            Some(
                MatcherModel::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    let mut systems: Vec<(String, Ranker, Thresholds)> = vec![
        (
            "before: BM25 + trigram, shipped thresholds".into(),
            Ranker::Trigram,
            Thresholds::TRIGRAM,
        ),
        (
            "baseline: char 4-gram TF-IDF cosine, calibrated".into(),
            Ranker::CharTfIdf,
            tfidf_th,
        ),
    ];
    if let (Some(m), Some(path)) = (&other, &a.matcher) {
        systems.push((
            format!("hybrid + learned matcher from {}", path.display()),
            Ranker::Learned(m),
            Thresholds {
                known: m.alert,
                suggest: m.suggest,
                suspect: simak_analyze::hoax::SUSPECT_AT,
            },
        ));
    }
    systems.push((
        "after: hybrid + learned matcher, shipped".into(),
        Ranker::Learned(shipped),
        Thresholds::shipped(),
    ));
    println!(
        "the shipped matcher's thresholds (alert {:.3}, suggest {:.3}), as chosen by `simak train matcher`:",
        shipped.alert, shipped.suggest
    );
    for l in &shipped.calibration {
        println!("  {l}");
    }
    println!("\noperating curve of the shipped matcher on this part (matching alone, no cues): threshold, recall@1 at or above it, false-flag rate per negative set");
    let grid: Vec<f32> = (6..=19).map(|i| i as f32 * 0.05).collect();
    for (t, rec, ffr) in claim_eval::curve(&data, part, Ranker::Learned(shipped), &grid) {
        let f: Vec<String> = ffr.iter().map(|x| format!("{:>6.2}%", 100.0 * x)).collect();
        println!("  {t:.2}  {rec:.3}  {}", f.join(" "));
    }
    for (name, ranker, th) in systems {
        let t0 = Instant::now();
        let r = claim_eval::evaluate(&data, part, ranker, &th);
        let g = &r.ranking;
        let n = g.n.max(1) as f64;
        println!(
            "\n{name} (alert {:.3}, suggest {:.3}; {:.1} s)",
            th.known,
            th.suggest,
            t0.elapsed().as_secs_f64()
        );
        println!(
            "  {} narratives ({} part): recall@1 {:.3}  @5 {:.3}  @20 {:.3}  MRR {:.3}  no candidate {:.3}",
            g.n,
            a.part,
            g.at[0] as f64 / n,
            g.at[1] as f64 / n,
            g.at[2] as f64 / n,
            g.rr / n,
            g.none as f64 / n
        );
        println!(
            "  recall@1 with known_hoax {:.3}, with any flag {:.3}",
            g.known_at_1 as f64 / n,
            g.flagged_at_1 as f64 / n
        );
        println!(
            "  {:<52} {:>6} {:>10} {:>10} {:>10}",
            "false flags", "posts", "known", "any flag", "cue-only"
        );
        for f in &r.negatives {
            let m = f.n.max(1) as f64;
            println!(
                "  {:<52} {:>6} {:>9.2}% {:>9.2}% {:>9.2}%",
                f.name,
                f.n,
                100.0 * f.known as f64 / m,
                100.0 * f.flagged as f64 / m,
                100.0 * f.cue_only as f64 / m
            );
        }
        if a.errors {
            for (set, label, text, claim, s) in &r.false_flags {
                let t: String = text.chars().take(160).collect();
                println!("    [{set}] {label} {s:.3} {t:?} ~ {claim:?}");
            }
        }
    }
    Ok(())
}

fn eval_hoax(a: EvalHoax) -> Result<()> {
    if a.labelled.data.is_some() {
        return eval_claims(&a);
    }
    use simak_analyze::factcheck::FactCheckBase;
    use simak_analyze::hoax::Thresholds;
    use simak_analyze::hoax_eval::{self, Split, TestSet};
    let set = match (&a.factchecks, &a.posts) {
        (Some(f), Some(p)) => {
            let f = std::fs::read_to_string(f).with_context(|| f.display().to_string())?;
            let p = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            TestSet::parse(&f, &p).map_err(anyhow::Error::msg)?
        }
        _ => TestSet::shipped(),
    };
    let split = match a.split.as_str() {
        "dev" => Split::Dev,
        "test" => Split::Test,
        "all" => Split::All,
        s => anyhow::bail!("--split: want dev, test or all, got {s:?}"),
    };
    let kb = FactCheckBase::new(set.factchecks.clone());
    let mut th = Thresholds::shipped();
    if a.calibrate {
        let (chosen, sweep) = hoax_eval::calibrate(&set, &kb);
        println!("calibration on the dev half: how known_hoax would vary with its threshold (the shipped one is the matcher's, chosen by target false-flag rates on real data)");
        println!("  known  precision  recall     F1");
        for (k, r) in sweep
            .iter()
            .filter(|(k, _)| (k * 100.0).round() as i32 % 5 == 0)
        {
            println!(
                "  {k:.2}   {:.4}     {:.4}     {:.4}",
                r.known.precision(),
                r.known.recall(),
                r.known.f1()
            );
        }
        println!(
            "chosen: suspect {:.2} (shipped: known {:.3}, suggest {:.3}, suspect {:.2})\n",
            chosen.suspect, th.known, th.suggest, th.suspect
        );
        th = chosen;
    }
    let r = hoax_eval::evaluate(&set, &kb, split, &th);
    println!(
        "hoax on the {} half: {} posts, {} fact-checks; thresholds known {:.2}, suggest {:.2}, suspect {:.2}",
        a.split,
        r.posts,
        set.factchecks.len(),
        th.known,
        th.suggest,
        th.suspect
    );
    let line = |name: &str, p: &hoax_eval::Prf| {
        println!(
            "{name:<12} precision {:.4}  recall {:.4}  F1 {:.4}  (tp {}, fp {}, fn {})",
            p.precision(),
            p.recall(),
            p.f1(),
            p.tp,
            p.fp,
            p.fn_
        )
    };
    line("known_hoax", &r.known);
    line("flagged", &r.flagged);
    println!(
        "matching recall@1 {:.4} ({} of {})",
        r.recall_at_1(),
        r.recall_at_1.0,
        r.recall_at_1.1
    );
    if a.errors {
        for (kind, label, text) in &r.errors {
            println!("  {kind:?} -> {label}: {text}");
        }
    }
    Ok(())
}

/// The minimum of labels of each class `simak train hoax` needs.
const MIN_LABELS: usize = 10;

/// Pairs of TurnBackHoax 2024 H1 fact-checks (ids only) judged by hand to debunk the same hoax:
/// the narratives of other fact-checks that the matcher scored highest were read next to the
/// fact-check they matched (see the file's header).
const SAME_HOAX_TBH_2024H1: &str = include_str!("../data/same_hoax_tbh_2024h1.tsv");

async fn train_hoax(
    cfg: &simak_core::Config,
    labels: Option<PathBuf>,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    use simak_analyze::hoax::{score_with, Clusters, OfficeModel, Thresholds, NF};
    use simak_analyze::hoax_eval::Prf;
    let mut examples: Vec<(String, bool)> = Vec::new();
    match &labels {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line)
                    .with_context(|| format!("{}:{}", p.display(), i + 1))?;
                let t = v["text"]
                    .as_str()
                    .with_context(|| format!("{}:{}: `text` missing", p.display(), i + 1))?;
                let y = match v["label"].as_str() {
                    Some("hoax") => true,
                    Some("not_hoax") => false,
                    other => anyhow::bail!(
                        "{}:{}: `label` must be hoax or not_hoax, got {other:?}",
                        p.display(),
                        i + 1
                    ),
                };
                examples.push((t.to_string(), y));
            }
        }
        None => {
            let store = simak_review::ReviewStore::open(&cfg.review_db_path())?;
            for l in store.labels()? {
                examples.push((l.text, l.label == "hoax"));
            }
        }
    }
    let pos = examples.iter().filter(|e| e.1).count();
    let neg = examples.len() - pos;
    if pos < MIN_LABELS || neg < MIN_LABELS {
        anyhow::bail!(
            "too few decisions to learn from: {pos} hoax and {neg} not hoax; at least {MIN_LABELS} of each are needed"
        );
    }
    // The features see the same knowledge base the analyzers use.
    let analyzer = offline_analyzer(cfg).await?;
    let kb = analyzer.factchecks().current();
    let th = Thresholds::shipped();
    let data: Vec<([f32; NF], bool, bool)> = examples
        .iter()
        .map(|(t, y)| {
            let v = score_with(&kb, &Clusters::default(), t, 0, &th);
            (v.features, *y, v.label != "none")
        })
        .collect();
    // 5-fold cross-validation, against the rules alone on the same labels.
    let (mut m, mut r) = (Prf::default(), Prf::default());
    for fold in 0..5 {
        let train: Vec<([f32; NF], bool)> = data
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != fold)
            .map(|(_, d)| (d.0, d.1))
            .collect();
        let model = OfficeModel::train(&train);
        for (_, d) in data.iter().enumerate().filter(|(i, _)| i % 5 == fold) {
            m.add(model.prob(&d.0) >= 0.5, d.1);
            r.add(d.2, d.1);
        }
    }
    let model = OfficeModel::train(&data.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>());
    let out = out.unwrap_or_else(|| cfg.hoax_model_path());
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(&out, serde_json::to_vec_pretty(&model)?)
        .with_context(|| out.display().to_string())?;
    println!("hoax model from {pos} hoax and {neg} not-hoax decisions; 5-fold cross-validation:");
    for (name, p) in [("office model", &m), ("rules alone ", &r)] {
        println!(
            "  {name}  precision {:.4}  recall {:.4}  F1 {:.4}",
            p.precision(),
            p.recall(),
            p.f1()
        );
    }
    println!(
        "written to {} (analyzers use it from their next start)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::fitted_until;
    use simak_analyze::claim_eval::parse_month;

    #[test]
    fn the_last_fitted_month_is_read_from_the_shipped_matcher() {
        let shipped = simak_analyze::matcher::MatcherModel::shipped();
        // The shipped matcher says which months it saw; `simak eval hoax` warns from it.
        let until = fitted_until(&shipped.fitted_on).expect("the shipped matcher names its months");
        assert!(until >= parse_month("2024-04-01").unwrap());
        assert_eq!(
            fitted_until("x: the narratives of the months up to 2024-04 against"),
            parse_month("2024-04-01")
        );
        assert_eq!(fitted_until("fitted by hand"), None);
        assert_eq!(fitted_until("the months up to 2024"), None);
    }
}
