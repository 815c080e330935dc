window.widget = "shipped by a plugin";
