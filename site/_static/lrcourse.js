// A figure shrunk to the page's width opens at its full size on a click (and back on another).
document.addEventListener("click", (event) => {
  const image = event.target.closest(".cell_output img");
  if (image && image.naturalWidth > image.clientWidth + 1) {
    image.classList.toggle("lrc-zoomed");
  } else if (image) {
    image.classList.remove("lrc-zoomed");
  }
});
