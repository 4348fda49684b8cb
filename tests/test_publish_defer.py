"""run_publish.publish(defer_removal=True), the preview's: the swap at once, the old outputs removed aside."""


def test_publish_with_deferred_removal_swaps_at_once_and_leaves_no_trash(tmp_path):
    import time

    from isnote import run_publish
    build = tmp_path / ".out.staging"
    build.mkdir()
    final, stage = tmp_path / "out", build / "stage-1"
    final.mkdir()
    (final / "note.html").write_text("ancienne")
    stage.mkdir()
    (stage / "note.html").write_text("nouvelle")
    run_publish.publish(stage, final, build, defer_removal=True)
    assert (final / "note.html").read_text() == "nouvelle" and not stage.exists()
    for _ in range(200):                          # the old outputs go in the background
        if not list(build.glob("trash-*")):
            break
        time.sleep(0.01)
    assert list(build.iterdir()) == []
    # what a dead process left is removed by the next run's cleanup
    (build / "trash-999999-1" / "x").mkdir(parents=True)
    run_publish.remove_abandoned_stages(build, final)
    assert list(build.iterdir()) == []
