// Deterministic behaviour so the recording holds DOM mutations, attribute changes and text
// that scripts wrote. No text written here contains a digit (Tapeview masks digits).
(function () {
  "use strict";
  var words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
               "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
               "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
               "yankee", "zulu"];
  var entries = document.getElementById("entries");
  words.forEach(function (word, index) {
    var entry = document.createElement("li");
    entry.textContent = "Side " + (index % 2 ? "B" : "A") + ", track " + word + ": recorded clean";
    entries.appendChild(entry);
  });
  var glossary = document.getElementById("glossary");
  words.forEach(function (word) {
    var term = document.createElement("dt");
    term.textContent = word.charAt(0).toUpperCase() + word.slice(1);
    var meaning = document.createElement("dd");
    meaning.textContent = "The " + word + " position of the head, used when aligning the azimuth.";
    glossary.appendChild(term);
    glossary.appendChild(meaning);
  });

  var button = document.getElementById("toggle");
  button.addEventListener("click", function () {
    var details = document.getElementById("details");
    details.classList.add("open");
    details.querySelector("p").textContent =
      "Clean the heads with isopropyl alcohol on a cotton swab, then demagnetise them.";
    var more = document.createElement("p");
    more.className = "note";
    more.innerHTML = "Never touch the tape itself: <em>skin oil attracts dust</em>.";
    details.appendChild(more);
    button.textContent = "Details shown";
    button.classList.add("done");
    var state = document.getElementById("state");
    state.textContent = "Open";
    state.classList.add("open");
  });
})();
