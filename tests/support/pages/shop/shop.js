// Small, deterministic page behaviour so that recordings contain DOM mutations.
(function () {
  "use strict";
  var count = 0;
  var basket = document.getElementById("basket-count");
  document.querySelectorAll("button.add").forEach(function (button) {
    button.addEventListener("click", function () {
      count += 1;
      basket.textContent = String(count);
      button.textContent = "Added (" + count + ")";
    });
  });

  document.getElementById("checkout").addEventListener("submit", function (event) {
    event.preventDefault();  // no navigation: the recording stays on one document
    document.getElementById("status").textContent = "Thank you, your order is placed.";
  });

  var reviews = document.getElementById("reviews");
  for (var r = 1; r <= 30; r += 1) {
    var review = document.createElement("li");
    review.textContent = "Review " + r + ": sounds warm, rewinds fast.";
    reviews.appendChild(review);
  }

  var catalogue = document.getElementById("catalogue");
  for (var i = 1; i <= 120; i += 1) {
    var item = document.createElement("li");
    item.id = "item-" + i;
    item.textContent = "Catalogue item " + i + " — blank tape, " + (30 + i) + " minutes";
    catalogue.appendChild(item);
  }
})();
