//! The CSV reader's tests: task inference, errors that name file, row and column,
//! and random damage that never panics.
use super::*;

fn read(text: &str) -> Result<CsvData, CsvError> {
    read_csv(text.as_bytes(), "t.csv", &CsvOptions::default())
}

#[test]
fn string_labels_are_classes_in_order_of_first_appearance() {
    let d = read("a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n").expect("reads");
    assert_eq!(d.task, Task::Classification);
    assert_eq!(d.class_names, ["setosa", "virginica"]);
    assert_eq!(d.labels, [0, 1, 0]);
    assert_eq!(d.features, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(d.class_counts(), [2, 1]);
}

#[test]
fn few_integers_are_classes_and_fractions_are_values() {
    let d = read("x,y\n1,2\n2,1\n3,2.0\n").expect("reads");
    assert_eq!(
        (d.task, d.class_names.clone()),
        (Task::Classification, vec!["2".to_string(), "1".to_string()])
    );
    let d = read("x,y\n1,2.5\n2,1\n").expect("reads");
    assert_eq!(
        (d.task, d.values.clone()),
        (Task::Regression, vec![2.5, 1.0])
    );
    let many: String = (0..30).map(|i| format!("{i},{i}\n")).collect();
    assert_eq!(
        read(&format!("x,y\n{many}")).expect("reads").task,
        Task::Regression
    );
}

#[test]
fn errors_name_file_row_and_column() {
    for (text, row, col, words) in [
        (
            "a,b\n1,x\n2\n",
            Some(3),
            None,
            "1 fields where the header has 2",
        ),
        (
            "a,b\n1,x\nzz,y\n",
            Some(3),
            Some(1),
            "expected a number, found `zz`",
        ),
        ("a,b\n1,x\nnan,y\n", Some(3), Some(1), "finite"),
        ("a,b\n1,x\ninf,y\n", Some(3), Some(1), "finite"),
        ("a,b\n1e39,x\n", Some(2), Some(1), "finite"),
        ("a,b\n,x\n", Some(2), Some(1), "empty value"),
        ("a,b\n1,x\n2,x\n", None, Some(2), "single class"),
        ("a,b\n", None, None, "no data rows"),
        ("", None, None, "empty"),
        ("a,a\n1,2\n", Some(1), Some(2), "must differ"),
        ("a\n1\n", Some(1), None, "at least one feature"),
    ] {
        let e = read(text).expect_err(text);
        assert_eq!(
            (e.row, e.column.as_ref().map(|c| c.0)),
            (row, col),
            "{text:?}: {e}"
        );
        assert!(e.to_string().contains(words), "{text:?}: {e}");
        assert!(e.to_string().starts_with("t.csv"), "{e}");
    }
    let e = read_csv(
        b"a,b\n1,2\n",
        "t.csv",
        &CsvOptions {
            label_column: Some("specie".into()),
            ..CsvOptions::default()
        },
    )
    .expect_err("no such column");
    assert!(e.message.contains("no label column `specie`"), "{e}");
    let e = read("a,b\n1,x\n2,y\n3,1\n").expect("text labels are classes");
    assert_eq!(e.class_names.len(), 3);
    let e = read_csv(
        b"a,b\n1,x\n",
        "t.csv",
        &CsvOptions {
            task: Some(Task::Regression),
            ..CsvOptions::default()
        },
    )
    .expect_err("text target");
    assert_eq!(e.row, Some(2));
    let wide = format!(
        "{}\n",
        (0..=MAX_CSV_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(
        read(&wide)
            .expect_err("too wide")
            .message
            .contains("at most 10000")
    );
}

#[test]
fn blank_lines_and_quotes_are_read_as_csv_does() {
    let d = read("\"a\",b,c\n1,2,\"x, y\"\n\n3,4,z\n").expect("reads");
    assert_eq!(d.class_names, ["x, y", "z"]);
    assert_eq!(d.rows(), 2);
}

#[test]
fn no_byte_string_panics() {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    let good = b"sepal,petal,width,species\n5.1,3.5,1.4,setosa\n4.9,3.0,1.4,setosa\n6.2,2.9,4.3,versicolor\n5.9,3.0,5.1,virginica\n";
    let mut rng = StdRng::seed_from_u64(7);
    let alphabet = b",\n\r\"0123456789.-eE+naif \x00\xff\xc3";
    for _ in 0..5_000 {
        let mut bytes = good.to_vec();
        for _ in 0..rng.random_range(1..8) {
            let i = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes[i] = alphabet[rng.random_range(0..alphabet.len())],
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, alphabet[rng.random_range(0..alphabet.len())]),
            }
            if bytes.is_empty() {
                break;
            }
        }
        // Either samples or an error that names the file: never a panic.
        match read_csv(&bytes, "t.csv", &CsvOptions::default()) {
            Ok(d) => assert_eq!(d.features.len(), d.rows() * d.feature_names.len()),
            Err(e) => assert!(e.to_string().starts_with("t.csv"), "{e}"),
        }
    }
}

#[test]
fn numbers_are_read_as_std_reads_them() {
    // Every spelling std's `f64` parser takes, to the value it gives, the fast path's
    // and the careful path's (a Unicode space) alike.
    let cells = [
        "+1.5",
        ".5",
        "5.",
        "1e5",
        "1E-5",
        "1.e5",
        "00012",
        "-0",
        " 2.5 ",
        "\u{a0}3.25",
        "0.1",
        "3.4028234e38",
        "123456789.123456789",
        "1e-50",
        "-7.000000000000000000000000001",
    ];
    let text: String = std::iter::once("x,y\n".to_string())
        .chain(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c},{}\n", i % 2)),
        )
        .collect();
    let d = read(&text).expect("reads");
    let want: Vec<f32> = cells
        .iter()
        .map(|c| c.trim().parse::<f64>().expect("std reads it") as f32)
        .collect();
    assert_eq!(d.features, want);
    for bad in ["1_0", "0x10", "\"1,5\"", "1d5", "--1", "1e", "."] {
        let e = read(&format!("x,y\n1,a\n{bad},b\n")).expect_err(bad);
        assert_eq!((e.row, e.column.as_ref().map(|c| c.0)), (Some(3), Some(1)));
        assert!(e.message.contains("expected a number"), "{bad}: {e}");
    }
}

#[test]
fn repeated_labels_are_read_row_by_row() {
    // `1`, `1.0` and ` 1` are one class; each row keeps its own.
    let d = read("x,y\n1,2\n2, 1\n3,2\n4,1.0\n5,1\n").expect("reads");
    assert_eq!(d.class_names, ["2", "1"]);
    assert_eq!(d.labels, [0, 1, 0, 1, 1]);
    let regression = CsvOptions {
        task: Some(Task::Regression),
        ..CsvOptions::default()
    };
    let d = read_csv(b"x,y\n1,0.5\n2,1.5\n3,0.5\n4,2\n", "t.csv", &regression).expect("reads");
    assert_eq!(d.values, [0.5, 1.5, 0.5, 2.0]);
    // The first bad row in file order is named, though a repeated text comes later.
    let e = read_csv(b"x,y\n1,0.5\n2,1.5\n3,x\n4,y\n5,x\n", "t.csv", &regression)
        .expect_err("text targets");
    assert_eq!(e.row, Some(4));
    let e = read_csv(
        b"x,y\n1,a\n2,\xff\n3,\xff\n",
        "t.csv",
        &CsvOptions::default(),
    )
    .expect_err("not UTF-8");
    assert_eq!((e.row, e.column.as_ref().map(|c| c.0)), (Some(3), Some(2)));
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn many_distinct_labels_keep_their_rows_past_the_scanned_few() {
    // 40 class names, past the 16 looked up by comparison: the later ones are hashed,
    // and every row still gets its own class, in order of first appearance.
    let mut text = String::from("x,y\n");
    for i in 0..120 {
        text.push_str(&format!("{i},c{}\n", (i * 7) % 40));
    }
    let d = read(&text).expect("reads");
    assert_eq!(d.class_names.len(), 40);
    for (i, &l) in d.labels.iter().enumerate() {
        assert_eq!(
            d.class_names[l as usize],
            format!("c{}", (i * 7) % 40),
            "row {i}"
        );
    }
    assert_eq!(d.features.len(), 120);
}
