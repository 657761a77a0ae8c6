//! Your own data in the built web app, in headless Chromium: upload a CSV with three
//! classes, train, see three colours in the decision regions and a confusion matrix,
//! one heatmap per hidden unit; two runs in the runs table with their config
//! difference; draw points of two classes and train on them. Run by `cargo xtask
//! test` (which builds the app with trunk and says where: `PLAYGROUND_WEB_DIST`).

use std::time::Duration;

use fantoccini::{Client, Locator};
use playground_tests::page::{
    click, editor_text, number, open_app, output_dir, set_input, text_of, wait_attr, wait_finished,
};

/// Three blobs named by colour, 30 points each, listed class by class.
fn three_blobs() -> String {
    let mut t = String::from("x,y,colour\n");
    for (name, (cx, cy)) in [
        ("red", (-2.0, 0.0)),
        ("green", (2.0, 0.0)),
        ("blue", (0.0, 3.0)),
    ] {
        for i in 0..30 {
            let a = f64::from(i) * 2.399;
            let r = 0.8 * f64::from(i % 7) / 7.0;
            t.push_str(&format!(
                "{:.3},{:.3},{name}\n",
                cx + r * a.cos(),
                cy + r * a.sin()
            ));
        }
    }
    t
}

/// Distinct fill colours among the decision regions' cells.
async fn region_colours(c: &Client) -> usize {
    let v = c
        .execute(
            "return new Set([...document.querySelectorAll('[data-testid=decision-boundary] rect.cell')]\
             .map(r => r.getAttribute('fill'))).size;",
            vec![],
        )
        .await
        .expect("cells read");
    v.as_u64().unwrap_or(0) as usize
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
async fn uploaded_and_drawn_data_train_with_regions_units_matrix_and_runs() {
    let (_server, browser) = open_app().await;
    let c = &browser.client;
    assert!(editor_text(c).await.contains("type = \"MLP\""));
    // The first screen: the data are visible before Train.
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=data-preview] circle"))
        .await
        .expect("the spiral's points before Train");
    browser
        .screenshot(&output_dir().join("web_data_first_screen.png"))
        .await
        .expect("screenshot");

    // Upload a table with three classes; the preview names them.
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("colours.csv");
    std::fs::write(&csv, three_blobs()).expect("csv");
    c.execute(
        "document.querySelectorAll('details').forEach(d => d.open = true);",
        vec![],
    )
    .await
    .expect("open the data tools");
    c.find(Locator::Css("[data-testid=dataset-upload]"))
        .await
        .expect("upload input")
        .send_keys(&csv.to_string_lossy())
        .await
        .expect("file chosen");
    let classes = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=upload-classes]"))
        .await
        .expect("class counts")
        .text()
        .await
        .expect("text");
    assert!(
        classes.contains("red 30") && classes.contains("green 30") && classes.contains("blue 30"),
        "{classes}"
    );
    click(c, "use-upload").await;
    let text = editor_text(c).await;
    assert!(
        text.contains("CSVDataset") && text.contains("colours.csv"),
        "{text}"
    );
    // A short run on the CPU backend, with 8 hidden units.
    set_input(c, "knob-hidden", "8").await;
    set_input(c, "knob-epochs", "20").await;
    set_input(c, "backend-select", "cpu").await;
    wait_attr(c, "[data-testid=data-preview]", "data-points", "72").await;
    click(c, "train-button").await;
    wait_finished(c, 300).await;
    wait_attr(c, "[data-testid=decision-boundary]", "data-classes", "3").await;
    assert!(region_colours(c).await >= 3, "three colours in the regions");
    let rows = c
        .find_all(Locator::Css("[data-testid=confusion-matrix] tbody tr"))
        .await
        .expect("matrix rows");
    assert_eq!(rows.len(), 3, "one row per class");
    let matrix = text_of(c, "[data-testid=confusion-matrix]").await;
    for name in ["red", "green", "blue"] {
        assert!(matrix.contains(name), "{matrix}");
    }
    let hidden = c
        .find_all(Locator::Css(
            "[data-testid=neuron-grid] canvas.unit:not(.input)",
        ))
        .await
        .expect("unit maps");
    assert_eq!(hidden.len(), 8, "one heatmap per hidden unit");
    assert_eq!(
        c.find_all(Locator::Css("[data-testid=neuron-grid] canvas.input"))
            .await
            .expect("input maps")
            .len(),
        2
    );
    browser
        .screenshot(&output_dir().join("web_data_trained.png"))
        .await
        .expect("screenshot");

    // A second run with another lr: both in the runs table, with their difference.
    wait_attr(c, "[data-testid=runs-table]", "data-runs", "1").await;
    click(c, "reset-button").await;
    set_input(c, "knob-lr", "0.05").await;
    click(c, "train-button").await;
    wait_finished(c, 300).await;
    wait_attr(c, "[data-testid=runs-table]", "data-runs", "2").await;
    let diffs = c
        .find_all(Locator::Css("[data-testid=run-diff]"))
        .await
        .expect("diff cells");
    assert_eq!(diffs.len(), 2);
    let second = diffs[1].text().await.expect("text");
    assert!(
        second.contains("optim_wrapper.optimizer.lr: 0.01 → 0.05"),
        "{second}"
    );
    assert!(number(c, "[data-testid=runs-table]", "data-runs").await == 2.0);
    // The first run's TensorBoard event file: its records and CRCs read back natively,
    // with the run's losses and its config.
    click(c, "run-tensorboard").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let events = loop {
        let found = std::fs::read_dir(browser.downloads())
            .expect("downloads")
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("events.out.tfevents."))
                    && !p.extension().is_some_and(|x| x == "crdownload")
            });
        if let Some(f) = found {
            break f;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no event file downloaded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let bytes = std::fs::read(&events).expect("the event file");
    let read = playground_strategy::vis::tensorboard::read_events(&bytes).expect("valid records");
    let tags: Vec<String> = read
        .iter()
        .filter_map(|e| match &e.what {
            Some(playground_strategy::vis::tensorboard::proto::What::Summary(s)) => {
                s.value.first().map(|v| v.tag.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        tags.iter().filter(|t| *t == "loss").count() >= 5,
        "{tags:?}"
    );
    assert!(
        tags.contains(&"config/text_summary".to_string()),
        "{tags:?}"
    );

    // Draw twelve points of two classes (one removed with shift-click), train on them.
    c.execute(
        "const s = document.querySelector('[data-testid=draw-canvas]');\
         const r = s.getBoundingClientRect();\
         const at = (fx, fy, shift) => s.dispatchEvent(new MouseEvent('click',\
           { clientX: r.left + fx * r.width, clientY: r.top + fy * r.height, shiftKey: shift, bubbles: true }));\
         document.querySelector('[data-testid=draw-class-0]').click();\
         for (let i = 0; i < 7; i++) at(0.25 + 0.02 * (i % 3), 0.2 + 0.08 * i, false);\
         document.querySelector('[data-testid=draw-class-1]').click();\
         for (let i = 0; i < 6; i++) at(0.75 + 0.02 * (i % 3), 0.2 + 0.08 * i, false);\
         at(0.25 + 0.02 * (6 % 3), 0.2 + 0.08 * 6, true);",
        vec![],
    )
    .await
    .expect("points drawn");
    wait_attr(c, "[data-testid=draw-canvas]", "data-points", "12").await;
    click(c, "reset-button").await;
    click(c, "use-drawn").await;
    set_input(c, "knob-epochs", "100").await;
    assert!(editor_text(c).await.contains("drawn.csv"));
    wait_attr(c, "[data-testid=data-preview]", "data-points", "10").await;
    click(c, "train-button").await;
    wait_finished(c, 300).await;
    wait_attr(c, "[data-testid=decision-boundary]", "data-classes", "2").await;
    assert_eq!(region_colours(c).await, 2, "two drawn classes, two colours");
    let loss = number(c, "[data-testid=loss-chart]", "data-last").await;
    assert!(
        loss.is_finite() && loss < 0.5,
        "two separated clusters are learned: {loss}"
    );
    // Nothing the page drew or did logged an error (an empty chart once drew NaNs).
    let console = browser.console().await.expect("console log");
    let severe: Vec<_> = console.iter().filter(|(l, _)| l == "SEVERE").collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");
    browser.close().await.expect("browser closes");
}
