// The plotly.js traces the dashboard draws, and no others (the full bundle is 4.8 MB).
var Plotly = require("plotly.js/lib/core");
Plotly.register([
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/box"),
  require("plotly.js/lib/heatmap"),
  require("plotly.js/lib/treemap"),
  require("plotly.js/lib/sankey"),
  require("plotly.js/lib/scattergl"),
]);
window.Plotly = Plotly;
