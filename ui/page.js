() => {
  // Gradio's sketchpad opens with no tool selected ("select the draw tool to start"). Select the
  // brush whenever no tool is, so people can draw at once; a tool they pick themselves is kept.
  const selectBrush = () => {
    const editor = document.querySelector("#sketchpad");
    const brush = editor && editor.querySelector(".toolbar-wrap button");
    if (brush && !editor.querySelector("button.highlight")) brush.click();
  };
  new MutationObserver(selectBrush).observe(document.body, { childList: true, subtree: true });
  selectBrush();
}
