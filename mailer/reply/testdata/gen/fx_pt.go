package main
var fixturesPT []fixture
